package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/worldval/worldval/events"
)

// maxExportLine bounds one line of an export: a payload of at most
// [events.MaxPayloadSize] bytes, base64-encoded, plus its envelope.
const maxExportLine = 2*events.MaxPayloadSize + 64<<10

// maxShownBreaks is how many broken lines audit verify --file prints.
const maxShownBreaks = 20

// exportBreak is one problem audit verify --file found.
type exportBreak struct {
	line int
	msg  string
}

// auditVerifyFile checks an export written by audit export: every line a
// record, global positions increasing, and every stream's hash chain and
// version sequence verifying from its first event (an export holds whole
// streams). After a stream's first break its later lines are not checked:
// they would all fail on the broken link.
func auditVerifyFile(ctx context.Context, env *environment, path string) error {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return usagef("no export at %s", path)
		}
		return usagef("open %s: %v", path, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return usagef("%s is a directory, not an export file", path)
	}
	fmt.Fprintf(env.stdout, "audit verify: %s\n", path)

	r := bufio.NewReaderSize(f, 1<<20)
	verifier := events.NewChainVerifier()
	broken := map[string]bool{}
	byCategory := map[string]int{}
	var breaks []exportBreak
	var lastPos uint64
	records, unchecked := 0, 0
	progress := newAuditProgress(env.stderr, "audit verify")
	for n := 1; ; n++ {
		line, err := readLine(r)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if errors.Is(err, errLineTooLong) {
				breaks = append(breaks, exportBreak{n, err.Error()})
				continue
			}
			return fmt.Errorf("read %s: %w", path, err)
		}
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			progress.report(func() string { return fmt.Sprintf("%d lines, %d streams", n, verifier.Streams()) })
		}
		rec, err := decodeExportLine(line)
		if err != nil {
			breaks = append(breaks, exportBreak{n, err.Error()})
			continue
		}
		records++
		if rec.GlobalPosition <= lastPos {
			breaks = append(breaks, exportBreak{n, fmt.Sprintf("stream %q version %d: global position %d after %d (out of global order)", rec.Stream, rec.StreamVersion, rec.GlobalPosition, lastPos)})
		}
		lastPos = max(lastPos, rec.GlobalPosition)
		if broken[rec.Stream] {
			unchecked++
			continue
		}
		if err := verifier.Verify(rec); err != nil {
			broken[rec.Stream] = true
			breaks = append(breaks, exportBreak{n, fmt.Sprintf("stream %q version %d: %v", rec.Stream, rec.StreamVersion, err)})
			continue
		}
		if rec.StreamVersion == 1 {
			cat, _, err := events.ParseStream(rec.Stream)
			if err != nil {
				cat = "(unparsable)"
			}
			byCategory[cat]++
		}
	}
	if records == 0 && len(breaks) == 0 {
		fmt.Fprintln(env.stdout, "  no records: an export holds at least one")
		return failureError{msg: path + " holds no records"}
	}
	fmt.Fprintf(env.stdout, "  records: %d in %d streams\n", records, verifier.Streams()+len(broken))
	printCounts(env.stdout, "  ", byCategory)
	if len(breaks) == 0 {
		fmt.Fprintln(env.stdout, "  hash chains: ok — every stream verifies from its first event, every record's hash recomputes")
		return nil
	}
	fmt.Fprintf(env.stdout, "  hash chains: BROKEN — %d problems in %d streams (%d later lines of broken streams not checked)\n", len(breaks), len(broken), unchecked)
	for i, b := range breaks {
		if i == maxShownBreaks {
			fmt.Fprintf(env.stdout, "  … and %d more\n", len(breaks)-i)
			break
		}
		fmt.Fprintf(env.stdout, "  line %d: %s\n", b.line, b.msg)
	}
	return failureError{msg: fmt.Sprintf("%s: %d problems; first at line %d: %s", path, len(breaks), breaks[0].line, breaks[0].msg)}
}

// errLineTooLong reports a line longer than [maxExportLine].
var errLineTooLong = fmt.Errorf("%w: line longer than %d bytes", errBadLine, maxExportLine)

// readLine returns the next line of r without its line break; io.EOF after
// the last. A line longer than [maxExportLine] is skipped and reported with
// [errLineTooLong], so that reading can go on with the next.
func readLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	tooLong := false
	for {
		chunk, err := r.ReadSlice('\n')
		if !tooLong && len(line)+len(chunk) > maxExportLine {
			tooLong, line = true, nil
		} else if !tooLong {
			line = append(line, chunk...)
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err != nil && !errors.Is(err, io.EOF):
			return nil, err
		case tooLong:
			return nil, errLineTooLong
		case errors.Is(err, io.EOF) && len(line) == 0:
			return nil, io.EOF
		}
		if n := len(line); n > 0 && line[n-1] == '\n' {
			line = line[:n-1]
		}
		return line, nil
	}
}
