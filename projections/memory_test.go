package projections_test

import (
	"testing"

	"github.com/worldval/worldval/projections"
	"github.com/worldval/worldval/projections/storetest"
)

func TestMemoryStoreConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) projections.Store { return projections.NewMemoryStore() })
}
