package storetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/unioneyes/authkit/clerkauth/store"
)

// epoch is the kit's time origin: the timestamp of Clerk's sample events.
var epoch = time.UnixMilli(1_716_883_200_000).UTC()

// at returns epoch plus sec seconds: every version the checks write is on a
// whole second, so that a store keeping milliseconds orders them exactly.
func at(sec int) time.Time { return epoch.Add(time.Duration(sec) * time.Second) }

// sameTime reports whether got is want at millisecond precision: the zero
// time only matches the zero time, and any other time matches within one
// millisecond either way (a store may truncate or round to milliseconds,
// Clerk's resolution).
func sameTime(got, want time.Time) bool {
	if want.IsZero() || got.IsZero() {
		return want.IsZero() == got.IsZero()
	}
	d := got.Sub(want)
	return d > -time.Millisecond && d < time.Millisecond
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "zero"
	}
	return fmt.Sprintf("%s (%d ms)", t.UTC().Format(time.RFC3339Nano), t.UnixMilli())
}

// sameJSON reports whether got holds the JSON document want holds,
// compared as values (key order, white space and number spelling aside):
// a store may keep JSON as text or in a binary form such as jsonb. An empty
// want (unknown metadata) needs an empty got; a JSON null may come back
// empty.
func sameJSON(got, want json.RawMessage) bool {
	if len(want) == 0 {
		return len(got) == 0
	}
	if len(got) == 0 {
		return string(bytes.TrimSpace(want)) == "null"
	}
	g, gerr := decodeJSON(got)
	w, werr := decodeJSON(want)
	return gerr == nil && werr == nil && reflect.DeepEqual(g, w)
}

func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return normalizeNumbers(v), nil
}

// normalizeNumbers replaces json.Number values by their float64 value, so
// that 1.50 and 1.5 compare equal.
func normalizeNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if f, err := x.Float64(); err == nil {
			return f
		}
		return x.String()
	case []any:
		for i := range x {
			x[i] = normalizeNumbers(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = normalizeNumbers(x[k])
		}
	}
	return v
}

// differ collects field differences.
type differ []string

func (d *differ) str(field, got, want string) {
	if got != want {
		*d = append(*d, fmt.Sprintf("%s = %q, want %q", field, got, want))
	}
}

func (d *differ) time(field string, got, want time.Time) {
	if !sameTime(got, want) {
		*d = append(*d, fmt.Sprintf("%s = %s, want %s", field, fmtTime(got), fmtTime(want)))
	}
}

func (d *differ) json(field string, got, want json.RawMessage) {
	if !sameJSON(got, want) {
		*d = append(*d, fmt.Sprintf("%s = %s, want %s (compared as JSON values)", field, showJSON(got), showJSON(want)))
	}
}

func (d *differ) strings(field string, got, want []string) {
	if !slices.Equal(got, want) {
		*d = append(*d, fmt.Sprintf("%s = %q, want %q (in this order)", field, got, want))
	}
}

func showJSON(b json.RawMessage) string {
	if b == nil {
		return "nil"
	}
	return "`" + string(b) + "`"
}

func diffUser(got *store.User, want store.User) differ {
	var d differ
	d.str("ID", got.ID, want.ID)
	d.str("Email", got.Email, want.Email)
	d.str("FirstName", got.FirstName, want.FirstName)
	d.str("LastName", got.LastName, want.LastName)
	d.str("Username", got.Username, want.Username)
	d.str("ImageURL", got.ImageURL, want.ImageURL)
	d.json("PublicMetadata", got.PublicMetadata, want.PublicMetadata)
	d.time("CreatedAt", got.CreatedAt, want.CreatedAt)
	d.time("UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	d.time("DeletedAt", got.DeletedAt, want.DeletedAt)
	return d
}

func diffOrg(got *store.Organization, want store.Organization) differ {
	var d differ
	d.str("ID", got.ID, want.ID)
	d.str("Name", got.Name, want.Name)
	d.str("Slug", got.Slug, want.Slug)
	d.str("ImageURL", got.ImageURL, want.ImageURL)
	d.json("PublicMetadata", got.PublicMetadata, want.PublicMetadata)
	d.time("CreatedAt", got.CreatedAt, want.CreatedAt)
	d.time("UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	d.time("DeletedAt", got.DeletedAt, want.DeletedAt)
	return d
}

func diffMembership(got *store.Membership, want store.Membership) differ {
	var d differ
	d.str("ID", got.ID, want.ID)
	d.str("OrgID", got.OrgID, want.OrgID)
	d.str("UserID", got.UserID, want.UserID)
	d.str("Role", got.Role, want.Role)
	d.strings("Permissions", got.Permissions, want.Permissions)
	d.time("CreatedAt", got.CreatedAt, want.CreatedAt)
	d.time("UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	d.time("DeletedAt", got.DeletedAt, want.DeletedAt)
	return d
}

func membershipKeys(ms []store.Membership) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.OrgID + "/" + m.UserID
	}
	return out
}
