package memstore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// text is how a text value is kept, as sqlstore keeps it: valid UTF-8
// without NUL, each invalid sequence and each NUL replaced by U+FFFD. Valid
// text is returned as it is, without allocating.
func text(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// textCopy returns a copy of ss (nil for nil) with text applied to every
// element.
func textCopy(ss []string) []string {
	if ss == nil {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = text(s)
	}
	return out
}

// jsonCopy returns a copy of metadata made valid UTF-8: each invalid
// sequence (which JSON allows inside strings) becomes U+FFFD; \u0000
// escapes are valid UTF-8 and kept.
func jsonCopy(m json.RawMessage) json.RawMessage {
	if m == nil {
		return nil
	}
	if !utf8.Valid(m) {
		return bytes.ToValidUTF8(m, []byte("\uFFFD"))
	}
	return bytes.Clone(m)
}

// checkID fails with ErrInvalid for an id that is empty, not valid UTF-8
// or holds a NUL: sqlstore refuses those, and so does this store, so that
// both behave alike. kind names the id in the message ("user").
func checkID(kind, id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: empty %s id", ErrInvalid, kind)
	case !utf8.ValidString(id) || strings.IndexByte(id, 0) >= 0:
		return fmt.Errorf("%w: %s id %q is not valid UTF-8 without NUL", ErrInvalid, kind, id)
	}
	return nil
}
