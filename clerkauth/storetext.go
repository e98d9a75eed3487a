package clerkauth

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// NormalizeText is the normalisation the store contract allows for text fields (see
// UserStore): valid UTF-8 without NUL, each invalid sequence and each NUL replaced by
// U+FFFD. Valid text comes back as it is, without allocating. memstore and sqlstore use
// it, so every store of this module keeps the same text.
func NormalizeText(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// NormalizeJSON is the normalisation the store contract allows for metadata: each invalid
// UTF-8 sequence (which JSON tolerates inside strings) replaced by U+FFFD. A NUL cannot
// appear raw in valid JSON; its escape \u0000 is valid UTF-8 and kept. Valid metadata
// comes back as it is (the same slice).
func NormalizeJSON(m json.RawMessage) json.RawMessage {
	if utf8.Valid(m) {
		return m
	}
	return bytes.ToValidUTF8(m, []byte("\uFFFD"))
}

// ValidID reports whether id can name a record in every store of this module: not
// empty, valid UTF-8, without NUL. No Clerk id fails it.
func ValidID(id string) bool {
	return id != "" && utf8.ValidString(id) && strings.IndexByte(id, 0) < 0
}
