package processor

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
)

// TestReadAllSized reads what io.ReadAll reads, whatever the announced size,
// in one allocation when the size is right.
func TestReadAllSized(t *testing.T) {
	body := strings.Repeat(`{"returns":[0.01,-0.02]}`, 200)
	for _, size := range []int64{-1, 0, 1, int64(len(body)) - 1, int64(len(body)), int64(len(body)) + 7} {
		for name, r := range map[string]io.Reader{
			"whole":    strings.NewReader(body),
			"one byte": iotest.OneByteReader(strings.NewReader(body)),
		} {
			got, err := readAllSized(r, size)
			if err != nil || string(got) != body {
				t.Fatalf("size %d, %s: %d bytes, %v", size, name, len(got), err)
			}
		}
	}
	data, rd := []byte(body), bytes.NewReader(nil)
	if n := testing.AllocsPerRun(20, func() {
		rd.Reset(data)
		_, _ = readAllSized(rd, int64(len(body)))
	}); n != 1 {
		t.Errorf("%.0f allocations for a body of the announced size", n)
	}
	failing := iotest.ErrReader(errors.New("connection reset"))
	if _, err := readAllSized(failing, 10); err == nil || err.Error() != "connection reset" {
		t.Fatalf("read error: %v", err)
	}
	// Over the limit, MaxBytesReader's error comes through.
	rec := httptest.NewRecorder()
	_, err := readAllSized(http.MaxBytesReader(rec, io.NopCloser(strings.NewReader(body)), 100), int64(len(body)))
	var tooLarge *http.MaxBytesError
	if !errors.As(err, &tooLarge) {
		t.Fatalf("over the limit: %v", err)
	}
}
