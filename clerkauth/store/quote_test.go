package store_test

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"

	"github.com/unioneyes/authkit/clerkauth/store"
)

// maxBytes is how much of an id QuoteID shows.
const maxBytes = 64

func TestQuoteID(t *testing.T) {
	long := strings.Repeat("a", 1<<20)
	for name, tc := range map[string]struct{ id, want string }{
		"short":                {"user_2abc", `"user_2abc"`},
		"empty":                {"", `""`},
		"control characters":   {"sess_\n1", `"sess_\n1"`},
		"invalid UTF-8":        {"org_\xff", `"org_\xff"`},
		"exactly 64 bytes":     {strings.Repeat("b", maxBytes), `"` + strings.Repeat("b", maxBytes) + `"`},
		"one over":             {strings.Repeat("b", maxBytes+1), `"` + strings.Repeat("b", maxBytes) + `"…(65 bytes)`},
		"1 MiB":                {long, `"` + long[:maxBytes] + `"…(1048576 bytes)`},
		"cut before a rune":    {strings.Repeat("c", maxBytes-1) + "é" + "tail", `"` + strings.Repeat("c", maxBytes-1) + `"…(69 bytes)`},
		"invalid bytes at cut": {strings.Repeat("d", maxBytes) + "\x80\x80\x80\x80", `"` + strings.Repeat("d", maxBytes) + `"…(68 bytes)`},
		"continuation bytes":   {strings.Repeat("\x80", 100), `"` + strings.Repeat(`\x80`, maxBytes) + `"…(100 bytes)`},
	} {
		t.Run(name, func(t *testing.T) {
			got := store.QuoteID(tc.id)
			assert.Equal(t, tc.want, got)
			assert.True(t, utf8.ValidString(got))
			assert.LessOrEqual(t, len(got), 4*maxBytes+40)
		})
	}
}

func FuzzQuoteID(f *testing.F) {
	for _, s := range []string{"", "user_1", strings.Repeat("é", 40), "\x00\xff", strings.Repeat("x", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		got := store.QuoteID(id)
		if !utf8.ValidString(got) || strings.ContainsAny(got, "\n\r\x00") {
			t.Fatalf("QuoteID(%q) = %q: not one clean line", id, got)
		}
		if len(got) > 4*maxBytes+40 {
			t.Fatalf("QuoteID of %d bytes is %d bytes long", len(id), len(got))
		}
		if len(id) <= maxBytes {
			if got != strconv.Quote(id) {
				t.Fatalf("QuoteID(%q) = %q, want strconv.Quote", id, got)
			}
			return
		}
		suffix := "…(" + strconv.Itoa(len(id)) + " bytes)"
		prefix, ok := strings.CutSuffix(got, suffix)
		if !ok {
			t.Fatalf("QuoteID(%d bytes) = %q: no %q", len(id), got, suffix)
		}
		shown, err := strconv.Unquote(prefix)
		if err != nil || !strings.HasPrefix(id, shown) || len(shown) > maxBytes || len(shown) < maxBytes-utf8.UTFMax+1 {
			t.Fatalf("QuoteID(%q) shows %q (%v)", id, shown, err)
		}
	})
}
