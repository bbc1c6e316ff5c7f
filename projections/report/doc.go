// Package report builds the validation report of one evaluation run
// (validation-core §12.1) from its event history — the run view, every
// revision of it, the submission, the verdict with the policy snapshot it was
// reached under, the latest override and the strategy's model card — and
// renders it as Markdown or as one self-contained HTML page with inline SVG
// charts of the submitted return series.
//
// [Build] is pure: it reads only its [Input] (the generation time included)
// and returns a [Report], the one model both renderers read, so the two
// formats always say the same thing.
package report
