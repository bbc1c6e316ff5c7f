package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
)

// Readiness is the answer of the service's readiness probe.
type Readiness struct {
	// Status is "ready" or "not ready".
	Status string `json:"status"`
	// Checks maps each dependency (event_store, projections) to "ok" or
	// what is wrong with it.
	Checks map[string]string `json:"checks"`
}

// Ready asks the service whether it is ready (GET /readyz): its event store
// answers and its read models have caught up with it. It returns nil when
// the service is ready, and otherwise an error naming the failing checks.
// It is not retried.
func (c *Client) Ready(ctx context.Context) error {
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/readyz", nil)
	if err != nil {
		return fmt.Errorf("readiness: %w", err)
	}
	hr.Header.Set("User-Agent", userAgent)
	resp, err := c.hc.Do(hr)
	if err != nil {
		return fmt.Errorf("readiness: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return fmt.Errorf("readiness: read the answer: %w", err)
	}
	var r Readiness
	if json.Unmarshal(data, &r) != nil || r.Status == "" {
		return fmt.Errorf("readiness: %w", decodeAPIError(resp.StatusCode, data))
	}
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	var failing []string
	for name, msg := range r.Checks {
		if msg != "ok" {
			failing = append(failing, name+": "+msg)
		}
	}
	sort.Strings(failing)
	return fmt.Errorf("service %s (%d): %s", r.Status, resp.StatusCode, strings.Join(failing, "; "))
}
