package processor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/aggregates/evaluationrun"
	"github.com/worldval/worldval/aggregates/modelcard"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/projections"
	"github.com/worldval/worldval/projections/report"
	"github.com/worldval/worldval/validation/metrics"
)

// Formats of GET …/runs/{run}/report.
const (
	reportFormatMarkdown = "md"
	reportFormatHTML     = "html"
)

// getRunReport answers GET …/runs/{run}/report?format=md|html[&as_of=]: the
// validation report of validation-core §12.1, built from the run's view and
// revision history, the submission and verdict events of its stream and its
// strategy's model card. md (the default) is text/markdown; html is one
// self-contained page. An unknown run is 404, a run without a verdict 409
// E_RUN_NOT_EVALUATED, an unknown format 400.
func (a *api) getRunReport(w http.ResponseWriter, r *http.Request) error {
	q, err := readQuery(r, "format", asOfParam)
	if err != nil {
		return err
	}
	format := q.Get("format")
	switch format {
	case "":
		format = reportFormatMarkdown
	case reportFormatMarkdown, reportFormatHTML:
	default:
		return errcode.New(errcode.BadRequest, "format %q is not a report format (md or html)", format).WithDetail("parameter", "format")
	}
	at, asOf, err := parseAsOf(q)
	if err != nil {
		return err
	}
	world, strategy, run := runPath(r)
	in, err := a.reportInput(r.Context(), at, asOf, world, strategy, run)
	if err != nil {
		return err
	}
	rep := report.Build(in)
	var body bytes.Buffer
	contentType := "text/markdown; charset=utf-8"
	if format == reportFormatHTML {
		contentType = "text/html; charset=utf-8"
		err = report.WriteHTML(&body, rep)
	} else {
		err = report.WriteMarkdown(&body, rep)
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", fmt.Sprintf("inline; filename=%q", "validation-report-"+url.PathEscape(strategy)+"-"+url.PathEscape(run)+"."+format))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body.Bytes())
	return nil
}

// reportInput gathers what the report of one run is built from, as of at
// when asOf is set: the view and history from the read models, the
// submission, verdict and latest override from the run's stream, and the
// model card the run names (else the strategy's latest).
func (a *api) reportInput(ctx context.Context, at time.Time, asOf bool, world, strategy, run string) (report.Input, error) {
	v, err := a.runView(ctx, at, asOf, world, strategy, run)
	if err != nil {
		return report.Input{}, err
	}
	if v.Status != projections.StatusEvaluated {
		return report.Input{}, (&errcode.Error{Code: errcode.RunNotEvaluated}).
			WithDetail("world_id", world).WithDetail("strategy_id", strategy).WithDetail("run_id", run).WithDetail("status", v.Status)
	}
	var h []projections.HistoryEntry
	if asOf {
		h, err = a.models.asOf.History(ctx, at, world, strategy, run)
	} else {
		h, err = a.models.history.History(ctx, world, strategy, run)
	}
	if err != nil && !errors.Is(err, projections.ErrNotFound) {
		return report.Input{}, err
	}
	state, err := a.runStreamAsOf(ctx, at, asOf, world, strategy, run)
	if err != nil {
		return report.Input{}, err
	}
	in := report.Input{Run: v, History: h, GeneratedAt: a.now()}
	if state.Exists() {
		sub := state.Request
		in.Submission = &sub
		in.Override = state.Override
	}
	if state.Status == evaluationrun.StatusEvaluated {
		verdict := state.Verdict
		in.Verdict = &verdict
	}
	if in.ModelCard, err = a.reportModelCard(ctx, at, asOf, strategy, v.ModelCardVersion); err != nil {
		return report.Input{}, err
	}
	var doc map[string]any
	if err := json.Unmarshal(v.Metrics, &doc); err == nil {
		in.Flat = metrics.Flatten(doc).Map()
	}
	return in, nil
}

// runStreamAsOf folds the run's stream, up to the events recorded at or
// before at when asOf is set.
func (a *api) runStreamAsOf(ctx context.Context, at time.Time, asOf bool, world, strategy, run string) (*evaluationrun.Run, error) {
	stream, err := events.RunStream(world, strategy, run)
	if err != nil {
		return nil, runNotFound(world, strategy, run)
	}
	var state *evaluationrun.Run
	if asOf {
		recs, err := a.models.asOf.StreamPrefix(ctx, stream, at)
		if err != nil {
			return nil, fmt.Errorf("report of %s: %w", stream, err)
		}
		if state, err = aggregates.Fold[evaluationrun.Run](a.reg, recs); err != nil {
			return nil, fmt.Errorf("report of %s: %w", stream, err)
		}
	} else {
		snap, err := aggregates.Load[evaluationrun.Run](ctx, a.repo, stream)
		if err != nil {
			return nil, fmt.Errorf("report of %s: %w", stream, err)
		}
		state = snap.State
	}
	if !state.Exists() {
		return nil, runNotFound(world, strategy, run)
	}
	return state, nil
}

// modelCardsAsOf returns the strategy's model cards, as they were at at
// when asOf is set.
func (a *api) modelCardsAsOf(ctx context.Context, at time.Time, asOf bool, strategy string) (*modelcard.Cards, error) {
	if !asOf {
		return a.loadModelCards(ctx, strategy)
	}
	stream, err := events.ModelCardStream(strategy)
	if err != nil {
		return &modelcard.Cards{}, nil
	}
	recs, err := a.models.asOf.StreamPrefix(ctx, stream, at)
	if err != nil {
		return nil, fmt.Errorf("model cards of %s: %w", strategy, err)
	}
	cards, err := aggregates.Fold[modelcard.Cards](a.reg, recs)
	if err != nil {
		return nil, fmt.Errorf("model cards of %s: %w", strategy, err)
	}
	return cards, nil
}

// reportModelCard returns the card the run names (nil when the strategy
// has no such version), or the strategy's latest card when it names none;
// with asOf, as the cards were at at (a card published later is not in a
// report of an earlier moment).
func (a *api) reportModelCard(ctx context.Context, at time.Time, asOf bool, strategy string, version *string) (*report.ModelCard, error) {
	cards, err := a.modelCardsAsOf(ctx, at, asOf, strategy)
	if err != nil {
		return nil, err
	}
	var c modelcard.Card
	var ok bool
	if version != nil {
		c, ok = cards.Card(*version)
	} else {
		c, ok = cards.Latest()
	}
	if !ok {
		return nil, nil
	}
	mc := &report.ModelCard{Version: c.Version, Document: c.Card}
	if !c.PublishedAt.IsZero() {
		mc.PublishedAt = c.PublishedAt.UTC().Format(time.RFC3339)
	}
	return mc, nil
}
