package memstore

import (
	"bytes"
	"encoding/json"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/clerkauth/internal/storecheck"
)

// text is how a text value is kept, as sqlstore keeps it:
// clerkauth.NormalizeText.
func text(s string) string { return clerkauth.NormalizeText(s) }

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
	return bytes.Clone(clerkauth.NormalizeJSON(m)) // nil stays nil
}

// checkID fails with ErrInvalid for an id that is empty, not valid UTF-8
// or holds a NUL: sqlstore refuses those, and so does this store, so that
// both behave alike. kind names the id in the message ("user").
func checkID(kind, id string) error { return storecheck.ID(ErrInvalid, kind, id) }
