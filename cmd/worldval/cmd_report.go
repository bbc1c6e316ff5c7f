package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// maxReportBytes bounds the report the command reads from the service.
const maxReportBytes = 64 << 20

func reportCommand() command {
	return command{
		name:     "report",
		synopsis: "Fetch the validation report of one run from a running service, as Markdown or as one self-contained HTML page.",
		usage:    "--world W --strategy S --run R [--format md|html] [--out FILE] [--as-of TIME] [--server URL] [--token-env VAR]",
		setup: func(fs *flag.FlagSet, env *environment) func(context.Context, []string) error {
			cf := declareClientFlags(fs)
			var f reportFlags
			fs.StringVar(&f.world, "world", "", "world `id`")
			fs.StringVar(&f.strategy, "strategy", "", "strategy `id`")
			fs.StringVar(&f.run, "run", "", "run `id`")
			fs.StringVar(&f.format, "format", "", "`format`: md or html (default: html when --out ends in .html or .htm, else md)")
			fs.StringVar(&f.out, "out", "", "write the report to this `file` instead of standard output")
			fs.StringVar(&f.asOf, "as-of", "", "the report as the service knew the run at this RFC 3339 `time`")
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usagef("unexpected argument %q", args[0])
				}
				if err := f.check(); err != nil {
					return err
				}
				body, err := fetchReport(ctx, env, cf, &f)
				if err != nil {
					return err
				}
				if f.out == "" {
					_, err := env.stdout.Write(body)
					return err
				}
				if err := os.WriteFile(f.out, body, 0o644); err != nil {
					return fmt.Errorf("write the report: %w", err)
				}
				fmt.Fprintf(env.stdout, "report: wrote %s (%s, %d bytes)\n", f.out, f.format, len(body))
				return nil
			}
		},
	}
}

// reportFlags are the report command's flags.
type reportFlags struct {
	world, strategy, run, format, out, asOf string
}

// check refuses missing ids and unknown formats, and resolves the default
// format from the output file's extension.
func (f *reportFlags) check() error {
	if f.world == "" || f.strategy == "" || f.run == "" {
		return usagef("--world, --strategy and --run are required")
	}
	if f.format == "" {
		f.format = "md"
		switch strings.ToLower(filepath.Ext(f.out)) {
		case ".html", ".htm":
			f.format = "html"
		}
	}
	if f.format != "md" && f.format != "html" {
		return usagef("--format %q: want md or html", f.format)
	}
	if f.asOf != "" {
		if _, err := time.Parse(time.RFC3339Nano, f.asOf); err != nil {
			return usagef("--as-of %q: not an RFC 3339 time", f.asOf)
		}
	}
	return nil
}

// fetchReport reads GET …/runs/{run}/report from the service. The report
// is not JSON, so it is read with net/http rather than the JSON client; the
// server and token come from the same flags. A refusal of the request (bad
// parameter, unknown run) is exit status 2; a run still evaluating, missing
// credentials or an unreachable service, exit status 1.
func fetchReport(ctx context.Context, env *environment, cf *clientFlags, f *reportFlags) ([]byte, error) {
	base, err := url.Parse(strings.TrimRight(cf.server, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, usagef("--server %q: not an http(s) URL", cf.server)
	}
	path := "/worlds/" + url.PathEscape(f.world) + "/strategies/" + url.PathEscape(f.strategy) + "/runs/" + url.PathEscape(f.run) + "/report"
	q := url.Values{"format": {f.format}}
	if f.asOf != "" {
		q.Set("as_of", f.asOf)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base.String()+path+"?"+q.Encode(), nil)
	if err != nil {
		return nil, usagef("--server: %v", err)
	}
	if cf.tokenEnv != "" {
		if tok := strings.TrimSpace(env.getenv(cf.tokenEnv)); tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxReportBytes))
	if err != nil {
		return nil, fmt.Errorf("GET %s: read the answer: %w", path, err)
	}
	if resp.StatusCode == http.StatusOK {
		return body, nil
	}
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	msg := strings.TrimSpace(string(body))
	if json.Unmarshal(body, &e) == nil && e.Error.Code != "" {
		msg = e.Error.Code + ": " + e.Error.Message
	}
	err = fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, msg)
	switch resp.StatusCode {
	case http.StatusBadRequest, http.StatusNotFound:
		return nil, usageError{err}
	}
	return nil, err
}
