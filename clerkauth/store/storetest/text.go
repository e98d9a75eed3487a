package storetest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/unioneyes/authkit/clerkauth/store"
)

// hostileTexts are text a store must accept, though a database may not
// (PostgreSQL's text refuses NUL bytes and invalid UTF-8): Clerk sends what
// its users typed, and "a\u0000b" in a webhook's JSON decodes to a NUL
// byte. A store may keep such text as it is or replace each NUL and each
// invalid sequence by U+FFFD; what it gives back must be valid UTF-8.
var hostileTexts = []string{
	"a\x00b",              // a NUL, as encoding/json decodes "a\u0000b"
	"Do\xffe",             // an invalid byte
	"caf\xc3",             // a truncated two-byte sequence
	"\xed\xa0\x80 x",      // an encoded surrogate
	"\x00",                // only a NUL
	"Zoë \uFFFD \x00\xfe", // valid text around both
}

// hostileMetadata is metadata with an invalid byte inside a string (JSON
// allows any byte there; encoding/json does not check) and a \u0000
// escape, which PostgreSQL's jsonb refuses.
var hostileMetadata = json.RawMessage("{\"bio\":\"caf\xe9\",\"nul\":\"a\\u0000b\",\"ok\":\"Zürich\"}")

var textChecks = []check{
	{"UserInvalidText", needUsers, checkUserInvalidText},
	{"OrgInvalidText", needOrgs, checkOrgInvalidText},
	{"MembershipInvalidText", needOrgs, checkMembershipInvalidText},
}

// canonText is how text compares in these checks: made valid UTF-8, each
// NUL replaced by U+FFFD, and each run of U+FFFD made one (a store may
// replace an invalid sequence byte by byte).
func canonText(s string) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
	for strings.Contains(s, "\uFFFD\uFFFD") {
		s = strings.ReplaceAll(s, "\uFFFD\uFFFD", "\uFFFD")
	}
	return s
}

// text adds to d the text fields of got that are not valid UTF-8 or
// not the text sent (up to canonText).
func (d *differ) text(field, got, sent string) {
	switch {
	case !utf8.ValidString(got):
		*d = append(*d, fmt.Sprintf("%s = %q, not valid UTF-8 (sent %q)", field, got, sent))
	case canonText(got) != canonText(sent):
		*d = append(*d, fmt.Sprintf("%s = %q, want %q, or it with NUL and invalid UTF-8 replaced by U+FFFD", field, got, sent))
	}
}

// textJSON adds to d the metadata that is not valid UTF-8, not valid JSON or
// not the document sent, its strings compared up to canonText.
func (d *differ) textJSON(field string, got, sent json.RawMessage) {
	if !utf8.Valid(got) {
		*d = append(*d, fmt.Sprintf("%s = %q, not valid UTF-8 (sent %q)", field, got, sent))
		return
	}
	g, gerr := decodeJSON(got)
	w, werr := decodeJSON(sent)
	if gerr != nil || werr != nil || !reflect.DeepEqual(canonJSON(g), canonJSON(w)) {
		*d = append(*d, fmt.Sprintf("%s = %q, want the JSON value of %q, NUL and invalid UTF-8 in its strings possibly replaced by U+FFFD", field, got, sent))
	}
}

// canonJSON applies canonText to every string and key of a decoded value.
func canonJSON(v any) any {
	switch x := v.(type) {
	case string:
		return canonText(x)
	case []any:
		for i := range x {
			x[i] = canonJSON(x[i])
		}
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[canonText(k)] = canonJSON(e)
		}
		return out
	}
	return v
}

// A profile holding NUL bytes and invalid UTF-8 is stored without error
// (an error would make the webhook fail, and Clerk retry it, for a day) and
// comes back as valid UTF-8: as sent, or with U+FFFD in their place.
func checkUserInvalidText(c *checker) {
	for i, s := range hostileTexts {
		u := store.User{
			ID:    c.id(fmt.Sprintf("user_%d", i)),
			Email: "jane" + s + "@example.com", FirstName: s, LastName: "Doe " + s, Username: s, ImageURL: "https://img.clerk.com/" + s,
			PublicMetadata: hostileMetadata,
			UpdatedAt:      at(1),
		}
		c.upsertUser(u, true)
		got, err := c.users.GetUser(c.ctx, u.ID)
		if err != nil {
			c.fatalf("GetUser(%s) after upserting text %q: unexpected error: %v", u.ID, s, err)
		}
		var d differ
		d.text("Email", got.Email, u.Email)
		d.text("FirstName", got.FirstName, u.FirstName)
		d.text("LastName", got.LastName, u.LastName)
		d.text("Username", got.Username, u.Username)
		d.text("ImageURL", got.ImageURL, u.ImageURL)
		d.textJSON("PublicMetadata", got.PublicMetadata, u.PublicMetadata)
		d.time("UpdatedAt", got.UpdatedAt, u.UpdatedAt)
		if len(d) > 0 {
			c.errorf("text %q: GetUser(%s):\n\t%s", s, u.ID, strings.Join(d, "\n\t"))
		}
	}
}

func checkOrgInvalidText(c *checker) {
	for i, s := range hostileTexts {
		o := store.Organization{
			ID:   c.id(fmt.Sprintf("org_%d", i)),
			Name: "Acme " + s, Slug: s, ImageURL: "https://img.clerk.com/" + s,
			PublicMetadata: hostileMetadata,
			UpdatedAt:      at(1),
		}
		c.upsertOrg(o, true)
		got, err := c.orgs.GetOrganization(c.ctx, o.ID)
		if err != nil {
			c.fatalf("GetOrganization(%s) after upserting text %q: unexpected error: %v", o.ID, s, err)
		}
		var d differ
		d.text("Name", got.Name, o.Name)
		d.text("Slug", got.Slug, o.Slug)
		d.text("ImageURL", got.ImageURL, o.ImageURL)
		d.textJSON("PublicMetadata", got.PublicMetadata, o.PublicMetadata)
		if len(d) > 0 {
			c.errorf("text %q: GetOrganization(%s):\n\t%s", s, o.ID, strings.Join(d, "\n\t"))
		}
	}
}

func checkMembershipInvalidText(c *checker) {
	for i, s := range hostileTexts {
		m := store.Membership{
			ID:          "orgmem_" + s,
			OrgID:       c.id("org_a"),
			UserID:      c.id(fmt.Sprintf("user_%d", i)),
			Role:        "org:" + s,
			Permissions: []string{"org:posts:read", "org:" + s + ":write", s},
			UpdatedAt:   at(1),
		}
		c.upsertMembership(m, true)
		got, err := c.orgs.GetMembership(c.ctx, m.OrgID, m.UserID)
		if err != nil {
			c.fatalf("GetMembership(%s/%s) after upserting text %q: unexpected error: %v", m.OrgID, m.UserID, s, err)
		}
		var d differ
		d.text("ID", got.ID, m.ID)
		d.text("Role", got.Role, m.Role)
		if len(got.Permissions) != len(m.Permissions) {
			d = append(d, fmt.Sprintf("Permissions = %q, want %d of them", got.Permissions, len(m.Permissions)))
		} else {
			for j := range m.Permissions {
				d.text(fmt.Sprintf("Permissions[%d]", j), got.Permissions[j], m.Permissions[j])
			}
		}
		if len(d) > 0 {
			c.errorf("text %q: GetMembership(%s/%s):\n\t%s", s, m.OrgID, m.UserID, strings.Join(d, "\n\t"))
		}
	}
	c.wantListLen("ListMembers after the upserts", c.id("org_a"), len(hostileTexts))
}

// wantListLen checks that ListMembers(orgID) returns n memberships.
func (c *checker) wantListLen(what, orgID string, n int) {
	got, err := c.orgs.ListMembers(c.ctx, orgID)
	if err != nil {
		c.fatalf("%s: ListMembers(%s): unexpected error: %v", what, orgID, err)
	}
	if len(got) != n {
		c.errorf("%s: ListMembers(%s) returned %d memberships, want %d", what, orgID, len(got), n)
	}
}
