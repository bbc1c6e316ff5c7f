package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"
)

// checkInvariantsCommand is `worldval check invariants`: it asks a running
// service for the invariant reports of validation-core §10.7 and exits 1
// when any world has a finding (0 when all are clean, 2 for bad input).
func checkInvariantsCommand() command {
	return command{
		name:     "check invariants",
		synopsis: "Ask a server for the invariant reports (live runs, fail-closed, overrides due, health gaps); exit 1 on any finding.",
		usage:    "--server URL [--world W] [--strategy S] [--token TOKEN] [--json]",
		setup: func(fs *flag.FlagSet, env *environment) func(context.Context, []string) error {
			server := fs.String("server", "", "base URL of the worldval service, such as http://127.0.0.1:8080 (required)")
			world := fs.String("world", "", "check this world only (default: every world the server knows)")
			strategy := fs.String("strategy", "", "consider only the runs of this strategy")
			token := fs.String("token", "", "bearer token with the read scope (default: $WORLDVAL_TOKEN)")
			asJSON := fs.Bool("json", false, "print the server's JSON answer instead of a table")
			timeout := fs.Duration("timeout", 30*time.Second, "give up on the server after this long")
			return func(ctx context.Context, args []string) error {
				if len(args) != 0 {
					return usagef("unexpected arguments %q (use --world and --strategy)", args)
				}
				base, err := serverURL(*server)
				if err != nil {
					return err
				}
				if *timeout <= 0 {
					return usagef("--timeout must be positive, got %s", *timeout)
				}
				if *token == "" {
					*token = env.getenv("WORLDVAL_TOKEN")
				}
				ctx, cancel := context.WithTimeout(ctx, *timeout)
				defer cancel()
				reports, raw, err := fetchInvariants(ctx, base, *world, *strategy, *token)
				if err != nil {
					return err
				}
				if *asJSON {
					var out bytes.Buffer
					if err := json.Indent(&out, raw, "", "  "); err != nil {
						return fmt.Errorf("the server's answer is not JSON: %w", err)
					}
					out.WriteByte('\n')
					if _, err := env.stdout.Write(out.Bytes()); err != nil {
						return err
					}
				} else if err := printInvariants(env.stdout, base.String(), reports); err != nil {
					return err
				}
				if n := findingsIn(reports); n > 0 {
					return failureError{msg: fmt.Sprintf("%d invariant findings", n), silent: true}
				}
				return nil
			}
		},
	}
}

// serverURL validates --server: an absolute http or https URL.
func serverURL(s string) (*url.URL, error) {
	if s == "" {
		return nil, usagef("--server is required (for example --server http://127.0.0.1:8080)")
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usagef("--server %q is not an http(s) URL such as http://127.0.0.1:8080", s)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	return u, nil
}

// worldReport is one world's invariant report as the server answers it.
type worldReport struct {
	WorldID                     string             `json:"world_id"`
	OK                          bool               `json:"ok"`
	LiveStatusFailures          []invariantFinding `json:"live_status_failures"`
	LivePolicyVersionMismatches []invariantFinding `json:"live_policy_version_mismatches"`
	FailClosedViolations        []invariantFinding `json:"fail_closed_violations"`
	ApprovedOverrides           []invariantFinding `json:"approved_overrides"`
	ValidationHealthGaps        []invariantFinding `json:"validation_health_gaps"`
}

// invariantFinding is the union of the entries' fields that the table shows.
type invariantFinding struct {
	StrategyID            string   `json:"strategy_id"`
	RunID                 string   `json:"run_id"`
	Status                *string  `json:"status"`
	PolicyVersion         *string  `json:"policy_version"`
	RequiredPolicyVersion int      `json:"required_policy_version"`
	OnError               string   `json:"on_error"`
	OnMissingMetric       string   `json:"on_missing_metric"`
	Stage                 string   `json:"stage"`
	ReviewWindowDays      int      `json:"review_window_days"`
	ReviewDueAt           *string  `json:"review_due_at"`
	ReviewOverdue         *bool    `json:"review_overdue"`
	MissingFields         []string `json:"missing_fields"`
	Metric                string   `json:"metric"`
	Expected              any      `json:"expected"`
	Recorded              any      `json:"recorded"`
}

// fetchInvariants asks the server for one world's report (world set) or
// every world's, and returns the reports and the raw answer. An answer the
// caller caused (4xx: a bad id, a missing or wrong token) is a usage error.
func fetchInvariants(ctx context.Context, base *url.URL, world, strategy, token string) ([]worldReport, []byte, error) {
	u := *base
	if world != "" {
		u.Path += "/worlds/" + url.PathEscape(world) + "/validations/invariants"
	} else {
		u.Path += "/validations/invariants"
	}
	if strategy != "" {
		u.RawQuery = url.Values{"strategy_id": {strategy}}.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, nil, usagef("request %s: %v", u.String(), err)
	}
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("ask %s: %w", u.String(), err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("read the answer of %s: %w", u.String(), err)
	}
	if resp.StatusCode != http.StatusOK {
		msg := fmt.Sprintf("%s answered %s: %s", u.String(), resp.Status, errorMessage(raw))
		if resp.StatusCode >= 400 && resp.StatusCode < 500 {
			return nil, nil, usagef("%s", msg)
		}
		return nil, nil, errors.New(msg)
	}
	if world != "" {
		r := worldReport{WorldID: world}
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, nil, fmt.Errorf("the answer of %s is not an invariant report: %w", u.String(), err)
		}
		return []worldReport{r}, raw, nil
	}
	var all struct {
		Worlds []worldReport `json:"worlds"`
	}
	if err := json.Unmarshal(raw, &all); err != nil {
		return nil, nil, fmt.Errorf("the answer of %s is not a list of invariant reports: %w", u.String(), err)
	}
	return all.Worlds, raw, nil
}

// errorMessage extracts the message of the product's error body, or the
// body itself.
func errorMessage(raw []byte) string {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(raw, &e) == nil && e.Error.Code != "" {
		return e.Error.Code + ": " + e.Error.Message
	}
	return strings.TrimSpace(string(raw))
}

// findingsIn counts the entries of every list of every report.
func findingsIn(reports []worldReport) int {
	n := 0
	for _, r := range reports {
		n += len(r.LiveStatusFailures) + len(r.LivePolicyVersionMismatches) + len(r.FailClosedViolations) + len(r.ApprovedOverrides) + len(r.ValidationHealthGaps)
	}
	return n
}

// printInvariants writes one line per finding, grouped by world, and a
// closing verdict.
func printInvariants(w io.Writer, server string, reports []worldReport) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "invariants of %s: %d world(s)\n", server, len(reports))
	if n := findingsIn(reports); n > 0 {
		fmt.Fprintln(tw, "WORLD\tCHECK\tSTRATEGY\tRUN\tDETAIL")
		for _, r := range reports {
			for _, f := range r.LiveStatusFailures {
				fmt.Fprintf(tw, "%s\tlive run not passing (inv. 1)\t%s\t%s\tstatus %s\n", r.WorldID, f.StrategyID, f.RunID, orNull(f.Status))
			}
			for _, f := range r.LivePolicyVersionMismatches {
				fmt.Fprintf(tw, "%s\tlive run on an old policy (inv. 1)\t%s\t%s\tpolicy version %s, default %d\n", r.WorldID, f.StrategyID, f.RunID, orNull(f.PolicyVersion), f.RequiredPolicyVersion)
			}
			for _, f := range r.FailClosedViolations {
				fmt.Fprintf(tw, "%s\tnot fail-closed (inv. 2)\t-\t-\ton_error %s, on_missing_metric %s\n", r.WorldID, f.OnError, f.OnMissingMetric)
			}
			for _, f := range r.ApprovedOverrides {
				due := "no due date (timestamp missing or unparseable)"
				if f.ReviewDueAt != nil {
					due = fmt.Sprintf("review due %s (%d-day window)", *f.ReviewDueAt, f.ReviewWindowDays)
					if f.ReviewOverdue != nil && *f.ReviewOverdue {
						due += ", OVERDUE"
					}
				}
				if len(f.MissingFields) > 0 {
					due += ", missing " + strings.Join(f.MissingFields, ", ")
				}
				fmt.Fprintf(tw, "%s\tapproved override (inv. 3)\t%s\t%s\t%s stage, %s\n", r.WorldID, f.StrategyID, f.RunID, f.Stage, due)
			}
			for _, f := range r.ValidationHealthGaps {
				fmt.Fprintf(tw, "%s\tvalidation health gap\t%s\t%s\t%s expected %v, recorded %s\n", r.WorldID, f.StrategyID, f.RunID, f.Metric, f.Expected, jsonText(f.Recorded))
			}
		}
		bad := 0
		for _, r := range reports {
			if !r.OK {
				bad++
			}
		}
		fmt.Fprintf(tw, "result: NOT OK — %d finding(s) in %d of %d world(s)\n", n, bad, len(reports))
	} else {
		fmt.Fprintf(tw, "result: ok — no findings in %d world(s)\n", len(reports))
	}
	return tw.Flush()
}

func orNull(s *string) string {
	if s == nil {
		return "null"
	}
	return *s
}

// jsonText renders a decoded JSON value as JSON.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
