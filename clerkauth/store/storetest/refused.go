package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/unioneyes/authkit/clerkauth/store"
)

var refusedChecks = []check{
	{"UserRefused", needUsers, checkUserRefused},
	{"OrgRefused", needOrgs, checkOrgRefused},
	{"MembershipRefused", needOrgs, checkMembershipRefused},
}

// badIDs returns ids store.CleanID refuses: empty, with a NUL, not valid UTF-8 (a
// stray byte, an encoded surrogate). All but the empty one are unique to the check.
func (c *checker) badIDs(prefix string) []string {
	return []string{"", c.id(prefix + "\x00"), c.id(prefix + "\xff"), c.id(prefix + "\xed\xa0\x80")}
}

// wantRefused checks that err is a refusal: an error wrapping store.ErrInvalid.
func (c *checker) wantRefused(what string, err error) {
	switch {
	case err == nil:
		c.errorf("%s succeeded, want an error wrapping store.ErrInvalid", what)
	case !errors.Is(err, store.ErrInvalid):
		c.errorf("%s: error %q does not wrap store.ErrInvalid", what, err)
	}
}

// wantRefusedWrite checks a refused write: an error wrapping ErrInvalid, nothing
// applied.
func (c *checker) wantRefusedWrite(what string, applied bool, err error) {
	c.wantRefused(what, err)
	if applied {
		c.errorf("%s reported applied = true", what)
	}
}

// Writes of a nil user, of an id CleanID refuses, of metadata that is not JSON and with
// a zero deactivation time are refused with ErrInvalid and write nothing; no user is
// found under a refused id.
func checkUserRefused(c *checker) {
	applied, err := c.users.UpsertUser(c.ctx, nil)
	c.wantRefusedWrite("UpsertUser(nil)", applied, err)
	for _, id := range c.badIDs("user_") {
		u := user(id, 1)
		applied, err := c.users.UpsertUser(c.ctx, &u)
		c.wantRefusedWrite(quote("UpsertUser(%s)", id), applied, err)
		applied, err = c.users.DeactivateUser(c.ctx, id, at(2))
		c.wantRefusedWrite(quote("DeactivateUser(%s)", id), applied, err)
		c.wantUserNotFound("after refused writes", id)
	}
	id := c.id("user_a")
	u := user(id, 1)
	u.PublicMetadata = json.RawMessage(`{"plan":`)
	applied, err = c.users.UpsertUser(c.ctx, &u)
	c.wantRefusedWrite("UpsertUser with metadata that is not JSON", applied, err)
	applied, err = c.users.DeactivateUser(c.ctx, id, time.Time{})
	c.wantRefusedWrite("DeactivateUser at the zero time", applied, err)
	c.wantUserNotFound("after refused writes", id)
}

func checkOrgRefused(c *checker) {
	applied, err := c.orgs.UpsertOrganization(c.ctx, nil)
	c.wantRefusedWrite("UpsertOrganization(nil)", applied, err)
	for _, id := range c.badIDs("org_") {
		o := org(id, 1)
		applied, err := c.orgs.UpsertOrganization(c.ctx, &o)
		c.wantRefusedWrite(quote("UpsertOrganization(%s)", id), applied, err)
		applied, err = c.orgs.DeleteOrganization(c.ctx, id, at(2))
		c.wantRefusedWrite(quote("DeleteOrganization(%s)", id), applied, err)
		c.wantOrgNotFound("after refused writes", id)
	}
	id := c.id("org_a")
	o := org(id, 1)
	o.PublicMetadata = json.RawMessage(`nope`)
	applied, err = c.orgs.UpsertOrganization(c.ctx, &o)
	c.wantRefusedWrite("UpsertOrganization with metadata that is not JSON", applied, err)
	applied, err = c.orgs.DeleteOrganization(c.ctx, id, time.Time{})
	c.wantRefusedWrite("DeleteOrganization at the zero time", applied, err)
	c.wantOrgNotFound("after refused writes", id)
}

func checkMembershipRefused(c *checker) {
	o, u := c.id("org_a"), c.id("user_a")
	applied, err := c.orgs.UpsertMembership(c.ctx, nil)
	c.wantRefusedWrite("UpsertMembership(nil)", applied, err)
	for _, bad := range c.badIDs("id_") {
		for _, ids := range [][2]string{{bad, u}, {o, bad}} {
			m := membership(ids[0], ids[1], 1)
			applied, err := c.orgs.UpsertMembership(c.ctx, &m)
			c.wantRefusedWrite(quote("UpsertMembership(%s)", ids[0]+"/"+ids[1]), applied, err)
			applied, err = c.orgs.DeleteMembership(c.ctx, ids[0], ids[1], at(2))
			c.wantRefusedWrite(quote("DeleteMembership(%s)", ids[0]+"/"+ids[1]), applied, err)
			c.wantMembershipNotFound("after refused writes", ids[0], ids[1])
		}
		c.wantMembers("after refused writes", bad)
		c.wantUserMemberships("after refused writes", bad)
	}
	applied, err = c.orgs.DeleteMembership(c.ctx, o, u, time.Time{})
	c.wantRefusedWrite("DeleteMembership at the zero time", applied, err)
	c.wantMembershipNotFound("after refused writes", o, u)
	c.wantMembers("after refused writes", o)
	c.wantUserMemberships("after refused writes", u)
}

func checkRevocationRefused(c *checker) {
	for _, id := range c.badIDs("sess_") {
		c.wantRefused(quote("Revoke(%s)", id), c.rev.Revoke(c.ctx, id, time.Now().Add(time.Hour)))
		c.wantRevoked("after a refused Revoke", id, false)
	}
	id := c.id("sess_a")
	c.wantRefused("Revoke until the zero time", c.rev.Revoke(c.ctx, id, time.Time{}))
	c.wantRevoked("after a refused Revoke", id, false)
}

// showID returns id as it is when it is printable text, quoted otherwise (empty, NUL,
// invalid UTF-8), for failure messages.
func showID(id string) string {
	if id != "" && utf8.ValidString(id) && strings.IndexFunc(id, func(r rune) bool { return !unicode.IsPrint(r) }) < 0 {
		return id
	}
	return strconv.Quote(id)
}

// quote formats format with id shown by showID.
func quote(format, id string) string { return fmt.Sprintf(format, showID(id)) }
