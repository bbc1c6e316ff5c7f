package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// exportPageSize is the page size of GET /worlds/{world}/runs/metrics, the
// service's maximum.
const exportPageSize = 10000

// errNoExport reports a service without the run-metrics listing (an older
// version): the diff then pages through the full run listing instead.
var errNoExport = errors.New("the service has no run-metrics listing")

// exportPage is one page of the run-metrics listing as the diff reads it.
type exportPage struct {
	Runs []struct {
		StrategyID string         `json:"strategy_id"`
		RunID      string         `json:"run_id"`
		CreatedAt  string         `json:"created_at"`
		UpdatedAt  string         `json:"updated_at"`
		Metrics    map[string]any `json:"metrics"`
	} `json:"runs"`
	NextCursor string `json:"next_cursor"`
}

// listStoredMetrics reads every evaluated run of --world at --stage from
// the service's run-metrics listing. The next page is requested as soon as
// a page has arrived (its cursor is read from the end of the body), so the
// service builds it while this side decodes the previous ones on workers
// goroutines. Runs outside the window are counted as skipped. The result is
// in submission order.
func listStoredMetrics(ctx context.Context, env *environment, cf *clientFlags, f *diffFlags, win diffWindow, prog *diffProgress) ([]storedRun, int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	bodies := make(chan []byte, 2)
	var fetchErr error
	go func() {
		defer close(bodies)
		fetchErr = fetchExportPages(ctx, env, cf, f, bodies)
	}()
	var (
		mu      sync.Mutex
		pages   [][]storedRun
		skipped int
		decErr  error
		wg      sync.WaitGroup
		sem     = make(chan struct{}, f.workers)
		listed  int
	)
	for n := 0; ; n++ {
		body, ok := <-bodies
		if !ok {
			break
		}
		mu.Lock()
		pages = append(pages, nil)
		mu.Unlock()
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			runs, skip, err := decodeExportPage(body, win)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && decErr == nil {
				decErr = fmt.Errorf("page %d of the run-metrics listing: %w", n+1, err)
				cancel()
			}
			pages[n], skipped, listed = runs, skipped+skip, listed+len(runs)+skip
		})
		mu.Lock()
		prog.step("listed runs", listed, 0)
		mu.Unlock()
	}
	wg.Wait()
	if decErr != nil {
		return nil, 0, usageError{decErr}
	}
	if fetchErr != nil {
		return nil, 0, fetchErr
	}
	prog.step("listed runs", listed, 0)
	var out []storedRun
	for _, p := range pages {
		out = append(out, p...)
	}
	return out, skipped, nil
}

// decodeExportPage decodes one page, metrics documents included (one pass
// over the bytes), and keeps the runs in the window.
func decodeExportPage(body []byte, win diffWindow) ([]storedRun, int, error) {
	var p exportPage
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, 0, err
	}
	out := make([]storedRun, 0, len(p.Runs))
	skipped := 0
	for _, r := range p.Runs {
		at, _ := time.Parse(time.RFC3339, r.UpdatedAt)
		if at.IsZero() {
			at, _ = time.Parse(time.RFC3339, r.CreatedAt)
		}
		if r.StrategyID == "" || !win.contains(at) {
			skipped++
			continue
		}
		out = append(out, storedRun{strategy: r.StrategyID, run: r.RunID, at: at, doc: r.Metrics})
	}
	return out, skipped, nil
}

// fetchExportPages requests page after page and sends each body to bodies.
func fetchExportPages(ctx context.Context, env *environment, cf *clientFlags, f *diffFlags, bodies chan<- []byte) error {
	base := strings.TrimRight(cf.server, "/")
	path := "/worlds/" + url.PathEscape(f.world) + "/runs/metrics"
	token := ""
	if cf.tokenEnv != "" {
		token = strings.TrimSpace(env.getenv(cf.tokenEnv))
	}
	cursor := ""
	for {
		q := url.Values{"stage": {f.stage}, "limit": {fmt.Sprint(exportPageSize)}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		body, err := getExportPage(ctx, base+path+"?"+q.Encode(), token)
		if err != nil {
			return err
		}
		select {
		case bodies <- body:
		case <-ctx.Done():
			return ctx.Err()
		}
		if cursor = nextCursor(body); cursor == "" {
			return nil
		}
	}
}

// getExportPage sends one GET. A 404 answered for the route itself means
// the service predates the listing ([errNoExport]); other failures are
// usage errors, as every failure to read the runs is.
func getExportPage(ctx context.Context, target, token string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, usagef("--server: %v", err)
	}
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, usagef("GET %s: %v", req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, usagef("GET %s: read the answer: %v", req.URL.Path, err)
	}
	if resp.StatusCode == http.StatusOK {
		return body, nil
	}
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	_ = json.Unmarshal(body, &e)
	if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed {
		return nil, errNoExport
	}
	return nil, usagef("GET %s: %d %s: %s", req.URL.Path, resp.StatusCode, e.Error.Code, e.Error.Message)
}

// nextCursor reads next_cursor from the end of a page: it is the page's
// last member and a base64url string, so the page need not be decoded
// before the next one is requested. "" on the last page.
func nextCursor(body []byte) string {
	const member = `"next_cursor":"`
	i := bytes.LastIndex(body, []byte(member))
	if i < 0 || bytes.LastIndex(body, []byte(`"runs":`)) > i {
		return ""
	}
	rest := body[i+len(member):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return string(rest[:j])
}
