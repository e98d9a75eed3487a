package storetest

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/unioneyes/authkit/clerkauth/store"
)

// org returns version v of an organization: every field but the id
// depends on v, and UpdatedAt is at(v).
func org(id string, v int) store.Organization {
	return store.Organization{
		ID:             id,
		Name:           fmt.Sprintf("Acme %d", v),
		Slug:           fmt.Sprintf("acme-%d", v),
		ImageURL:       fmt.Sprintf("https://img.clerk.com/org/%d", v),
		PublicMetadata: json.RawMessage(fmt.Sprintf(`{"tier":"enterprise","version":%d}`, v)),
		CreatedAt:      at(1),
		UpdatedAt:      at(v),
	}
}

func deletedOrg(o store.Organization, t time.Time) store.Organization {
	o.DeletedAt = t
	return o
}

var orgChecks = []check{
	{"OrgNotFound", needOrgs, checkOrgNotFound},
	{"OrgRoundTrip", needOrgs, checkOrgRoundTrip},
	{"OrgVersionGuard", needOrgs, checkOrgVersionGuard},
	{"OrgDelete", needOrgs, checkOrgDelete},
	{"OrgTombstone", needOrgs, checkOrgTombstone},
	{"OrgIsolation", needOrgs, checkOrgIsolation},
}

func checkOrgNotFound(c *checker) {
	c.wantOrgNotFound("empty store", c.id("org_missing"))
	c.upsertOrg(org(c.id("org_a"), 1), true)
	c.wantOrgNotFound("after another organization was written", c.id("org_missing"))
}

func checkOrgRoundTrip(c *checker) {
	o := store.Organization{
		ID:             c.id("org_2g7np7Hrk0SN6kj5EDMLDaKNL0S"),
		Name:           "Acme Corp — Zürich",
		Slug:           "acme-corp",
		ImageURL:       "https://img.clerk.com/org",
		PublicMetadata: json.RawMessage(`{"plan":"team","limits":{"seats":25}}`),
		CreatedAt:      at(1).Add(999*time.Millisecond + 999*time.Microsecond),
		UpdatedAt:      at(2),
	}
	c.upsertOrg(o, true)
	c.wantOrg("after the first upsert", o)
	for i, doc := range metadataDocs {
		o := org(c.id(fmt.Sprintf("org_%d", i)), 1)
		o.PublicMetadata = json.RawMessage(doc)
		c.upsertOrg(o, true)
		c.wantOrg("metadata "+doc, o)
	}
	bare := store.Organization{ID: c.id("org_bare")}
	c.upsertOrg(bare, true)
	c.wantOrg("an organization with only an id", bare)
}

func checkOrgVersionGuard(c *checker) {
	id := c.id("org_a")
	c.upsertOrg(org(id, 20), true)
	c.upsertOrg(org(id, 10), false)
	c.wantOrg("after an older version", org(id, 20))
	equal := org(id, 99)
	equal.UpdatedAt = at(20)
	c.upsertOrg(equal, false)
	c.wantOrg("after another organization with an equal version", org(id, 20))
	c.upsertOrg(org(id, 30), true)
	c.wantOrg("after a newer version", org(id, 30))
	c.upsertOrg(deletedOrg(org(id, 40), at(45)), true)
	c.wantOrg("a newer version carrying DeletedAt", org(id, 40))
}

func checkOrgDelete(c *checker) {
	id := c.id("org_a")
	c.upsertOrg(org(id, 1), true)
	c.deleteOrg(id, at(10), true)
	c.wantOrg("deleted (still returned)", deletedOrg(org(id, 1), at(10)))
	c.deleteOrg(id, at(10), false)
	c.deleteOrg(id, at(5), false)
	c.wantOrg("deleted again, same time and earlier", deletedOrg(org(id, 1), at(10)))
	c.deleteOrg(id, at(15), true)
	c.wantOrg("deleted again, later", deletedOrg(org(id, 1), at(15)))
	c.upsertOrg(org(id, 20), true)
	c.wantOrg("a newer version after deletion keeps DeletedAt", deletedOrg(org(id, 20), at(15)))
	c.upsertOrg(org(id, 2), false)
	c.wantOrg("an older version after deletion", deletedOrg(org(id, 20), at(15)))
}

func checkOrgTombstone(c *checker) {
	id := c.id("org_a")
	c.deleteOrg(id, at(10), true)
	c.wantOrg("tombstone", store.Organization{ID: id, DeletedAt: at(10)})
	c.upsertOrg(org(id, 1), true)
	c.wantOrg("late creation after the tombstone", deletedOrg(org(id, 1), at(10)))
}

func checkOrgIsolation(c *checker) {
	id := c.id("org_a")
	want := org(id, 1)
	in := org(id, 1)
	in.PublicMetadata = []byte(string(want.PublicMetadata))
	if _, err := c.orgs.UpsertOrganization(c.ctx, &in); err != nil {
		c.fatalf("UpsertOrganization(%s): unexpected error: %v", id, err)
	}
	for i := range in.PublicMetadata {
		in.PublicMetadata[i] = ' '
	}
	in.Name = "changed"
	c.wantOrg("after the caller changed the record it upserted", want)
	got, err := c.orgs.GetOrganization(c.ctx, id)
	if err != nil {
		c.fatalf("GetOrganization(%s): unexpected error: %v", id, err)
	}
	for i := range got.PublicMetadata {
		got.PublicMetadata[i] = ' '
	}
	c.wantOrg("after the caller changed the record it got", want)
}
