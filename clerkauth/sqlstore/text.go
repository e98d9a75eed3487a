package sqlstore

import (
	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/clerkauth/internal/storecheck"
)

// text is how a text value goes into the database: valid UTF-8 without NUL
// bytes, which PostgreSQL's text refuses (SQLSTATE 22021) and SQLite would
// keep. Each invalid sequence and each NUL becomes U+FFFD, on every dialect,
// so both store the same thing. Valid text is returned as it is, without
// allocating.
func text(s string) string { return clerkauth.NormalizeText(s) }

// texts is text applied to every element, in a new slice when one
// changes.
func texts(ss []string) []string {
	for i, s := range ss {
		if t := text(s); t != s {
			out := make([]string, len(ss))
			copy(out, ss[:i])
			for j := i; j < len(ss); j++ {
				out[j] = text(ss[j])
			}
			return out
		}
	}
	return ss
}

// jsonText makes metadata valid UTF-8: each invalid sequence (which JSON
// allows inside strings, and PostgreSQL refuses) becomes U+FFFD. A NUL
// cannot appear raw in valid JSON; the escape \u0000 is valid UTF-8 and
// kept, which PostgreSQL's json type accepts.
func jsonText(m []byte) []byte { return clerkauth.NormalizeJSON(m) }

// validID reports whether id can name a record: not empty, valid UTF-8 and
// without NUL, so that every dialect can store it as it is.
func validID(id string) bool { return clerkauth.ValidID(id) }

// checkID fails with ErrInvalid for an id validID refuses; kind names it
// in the message ("user", "session").
func checkID(kind, id string) error { return storecheck.ID(ErrInvalid, kind, id) }
