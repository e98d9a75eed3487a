package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Clean returns u as a store keeps it, or an error wrapping [ErrInvalid]: the id must
// pass [CleanID], and PublicMetadata must be empty or valid JSON. Every text field has
// each NUL byte and each invalid UTF-8 sequence replaced by U+FFFD; PublicMetadata has
// each invalid UTF-8 sequence replaced by U+FFFD (its JSON escapes, \u0000 among them,
// kept); the times lose their monotonic clock reading. Valid text is kept as it is. The
// result shares no memory with u.
func (u User) Clean() (User, error) {
	if err := CleanID("user", u.ID); err != nil {
		return User{}, err
	}
	meta, err := cleanJSON(u.PublicMetadata)
	if err != nil {
		return User{}, err
	}
	u.Email, u.FirstName, u.LastName = cleanText(u.Email), cleanText(u.FirstName), cleanText(u.LastName)
	u.Username, u.ImageURL = cleanText(u.Username), cleanText(u.ImageURL)
	u.PublicMetadata = meta
	u.CreatedAt, u.UpdatedAt, u.DeletedAt = wall(u.CreatedAt), wall(u.UpdatedAt), wall(u.DeletedAt)
	return u, nil
}

// Clean returns o as a store keeps it, or an error wrapping [ErrInvalid], by the rules
// of [User.Clean].
func (o Organization) Clean() (Organization, error) {
	if err := CleanID("organization", o.ID); err != nil {
		return Organization{}, err
	}
	meta, err := cleanJSON(o.PublicMetadata)
	if err != nil {
		return Organization{}, err
	}
	o.Name, o.Slug, o.ImageURL = cleanText(o.Name), cleanText(o.Slug), cleanText(o.ImageURL)
	o.PublicMetadata = meta
	o.CreatedAt, o.UpdatedAt, o.DeletedAt = wall(o.CreatedAt), wall(o.UpdatedAt), wall(o.DeletedAt)
	return o, nil
}

// Clean returns m as a store keeps it, or an error wrapping [ErrInvalid]: OrgID and
// UserID must pass [CleanID]. ID (informative, not looked up), Role and every permission
// are text, cleaned as [User.Clean] cleans text; the order of the permissions is kept.
// The result shares no memory with m.
func (m Membership) Clean() (Membership, error) {
	if err := CleanID("organization", m.OrgID); err != nil {
		return Membership{}, err
	}
	if err := CleanID("user", m.UserID); err != nil {
		return Membership{}, err
	}
	m.ID, m.Role = cleanText(m.ID), cleanText(m.Role)
	if m.Permissions != nil {
		perms := make([]string, len(m.Permissions))
		for i, p := range m.Permissions {
			perms[i] = cleanText(p)
		}
		m.Permissions = perms
	}
	m.CreatedAt, m.UpdatedAt, m.DeletedAt = wall(m.CreatedAt), wall(m.UpdatedAt), wall(m.DeletedAt)
	return m, nil
}

// CleanID returns nil for an id a record can be stored under: not empty, valid UTF-8,
// without NUL (no Clerk id fails). Otherwise it returns an error wrapping [ErrInvalid]
// that names the id by kind ("user", "session") and quotes at most its first 64 bytes
// ([QuoteID]). Stores call it for the ids of Get, Delete and Revoke; reads of an id it
// refuses find nothing.
func CleanID(kind, id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: empty %s id", ErrInvalid, kind)
	case !utf8.ValidString(id) || strings.IndexByte(id, 0) >= 0:
		return fmt.Errorf("%w: %s id %s is not valid UTF-8 without NUL", ErrInvalid, kind, QuoteID(id))
	}
	return nil
}

// cleanText replaces each invalid UTF-8 sequence and each NUL of s by U+FFFD. Valid text
// comes back as it is, without allocating.
func cleanText(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// cleanJSON checks that m is empty or valid JSON and returns a copy of it (nil for nil)
// with each invalid UTF-8 sequence, which JSON tolerates inside strings, replaced by
// U+FFFD. A NUL cannot appear raw in valid JSON; its escape \u0000 is valid UTF-8 and
// kept.
func cleanJSON(m json.RawMessage) (json.RawMessage, error) {
	if len(m) > 0 && !json.Valid(m) {
		return nil, fmt.Errorf("%w: public metadata is not valid JSON", ErrInvalid)
	}
	if utf8.Valid(m) {
		return slices.Clone(m), nil
	}
	return bytes.ToValidUTF8(m, []byte("\uFFFD")), nil
}

// wall returns t without its monotonic clock reading: versions compare by the wall
// clock, as a database compares them.
func wall(t time.Time) time.Time { return t.Round(0) }
