// Package examples holds the example policy, strategy runs and model cards
// of `worldval demo`: a policy for world "demo" (policy.yml, embedded), five
// runs whose daily return series are drawn by a seeded generator, so nothing
// here comes from market data and every machine draws the same numbers, and a
// model card per strategy ([ModelCard], model-cards/, embedded).
//
// The run files under runs/ are generated from [Strategies]; regenerate them
// with `go generate ./examples` (a test fails when they are stale). The model
// cards are written by hand.
package examples

import _ "embed"

//go:generate go run ../cmd/worldval demo --write-examples .

//go:embed policy.yml
var policyYAML string

// Policy returns the example policy document (YAML). The caller may keep
// and modify the slice; it is a copy.
func Policy() []byte {
	return []byte(policyYAML)
}
