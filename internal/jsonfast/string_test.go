package jsonfast

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestStringStop checks the table of String's fast loop against what it
// says it holds.
func TestStringStop(t *testing.T) {
	for c := range 256 {
		want := c < 0x20 || c >= utf8.RuneSelf || strings.ContainsRune(`"\<>&`, rune(c))
		if got := stringStop[c] == 1; got != want || stringStop[c] > 1 {
			t.Errorf("stringStop[%#02x] = %d, want stop %v", c, stringStop[c], want)
		}
	}
}

func TestPlainString(t *testing.T) {
	for v, want := range map[string]bool{
		`"abc"`: true, `""`: true, `"<&>"`: true, "\"é\u2028\"": true, `"\u00e9"`: false, `"a\"b"`: false, `"a\nb"`: false,
		"\"\xff\"": false, "\"\x01\"": false, `"abc`: false, `abc"`: false, `"a"b"`: false, `"`: false, ``: false, `1`: false, `null`: false,
	} {
		s, ok := PlainString([]byte(v))
		if ok != want || ok && s != v[1:len(v)-1] {
			t.Errorf("PlainString(%q) = %q, %v; want ok %v", v, s, ok, want)
		}
	}
}
