package storetest

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/unioneyes/authkit/clerkauth/store"
)

// user returns version v of a user's profile: every field but the id
// depends on v, and UpdatedAt is at(v).
func user(id string, v int) store.User {
	return store.User{
		ID:             id,
		Email:          fmt.Sprintf("jane.v%d@example.com", v),
		FirstName:      fmt.Sprintf("Jane %d", v),
		LastName:       "Doe",
		Username:       fmt.Sprintf("jane%d", v),
		ImageURL:       fmt.Sprintf("https://img.clerk.com/%d", v),
		PublicMetadata: json.RawMessage(fmt.Sprintf(`{"plan":"pro","version":%d}`, v)),
		CreatedAt:      at(1),
		UpdatedAt:      at(v),
	}
}

func deactivated(u store.User, t time.Time) store.User {
	u.DeletedAt = t
	return u
}

// metadataDocs are public metadata values a store must give back as the
// same JSON values.
var metadataDocs = []string{
	`{}`,
	`{"plan":"pro","seats":12,"ratio":1.5,"beta":true,"trial":false,"coupon":null}`,
	`{ "z": 1, "a": [3, 1, 2], "m": {"nested": {"deep": ["x", {"y": []}]}} }`,
	`{"unicode":"Zoë – 東京 – 🚀","escapes":"quote \" backslash \\ tab \t newline \n","html":"<a href='x'>&amp;</a>"}`,
	`{"big":9007199254740993,"negative":-42,"exp":1e3,"empty":"","list":[]}`,
	`["an","array"]`,
	`"a string"`,
	`null`,
}

var userChecks = []check{
	{"UserNotFound", needUsers, checkUserNotFound},
	{"UserRoundTrip", needUsers, checkUserRoundTrip},
	{"UserMetadataRoundTrip", needUsers, checkUserMetadata},
	{"UserZeroVersion", needUsers, checkUserZeroVersion},
	{"UserVersionGuard", needUsers, checkUserVersionGuard},
	{"UserUpsertKeepsDeletedAt", needUsers, checkUserUpsertKeepsDeletedAt},
	{"UserDeactivate", needUsers, checkUserDeactivate},
	{"UserTombstone", needUsers, checkUserTombstone},
	{"UserIndependence", needUsers, checkUserIndependence},
	{"UserIsolation", needUsers, checkUserIsolation},
}

func checkUserNotFound(c *checker) {
	c.wantUserNotFound("empty store", c.id("user_missing"))
	c.upsertUser(user(c.id("user_a"), 1), true)
	c.wantUserNotFound("after another user was written", c.id("user_missing"))
	c.wantUserNotFound("an id differing only in case", c.id("USER_A"))
}

func checkUserRoundTrip(c *checker) {
	tokyo := time.FixedZone("JST", 9*60*60)
	u := store.User{
		ID:             c.id("user_2g7np7Hrk0SN6kj5EDMLDaKNL0S"),
		Email:          "example@example.org",
		FirstName:      "Zoë",
		LastName:       "O'Brien",
		Username:       "zoe_ob",
		ImageURL:       "https://img.clerk.com/eyJ0eXBlIjoicHJveHkifQ",
		PublicMetadata: json.RawMessage(`{"role":"editor","teams":["a","b"]}`),
		// Sub-millisecond digits and a time zone: a store keeps at least
		// milliseconds, and the instant is what counts.
		CreatedAt: at(1).Add(123*time.Millisecond + 456789*time.Nanosecond).In(tokyo),
		UpdatedAt: at(2).In(tokyo),
	}
	c.upsertUser(u, true)
	c.wantUser("after the first upsert", u)

	empty := store.User{ID: c.id("user_empty"), UpdatedAt: at(1)}
	c.upsertUser(empty, true)
	c.wantUser("a user with only an id and a version", empty)
}

func checkUserMetadata(c *checker) {
	for i, doc := range metadataDocs {
		u := user(c.id(fmt.Sprintf("user_%d", i)), 1)
		u.PublicMetadata = json.RawMessage(doc)
		c.upsertUser(u, true)
		c.wantUser("metadata "+doc, u)
	}
	u := user(c.id("user_nil"), 1)
	u.PublicMetadata = nil
	c.upsertUser(u, true)
	c.wantUser("nil metadata (unknown)", u)
}

// A user provisioned from a token has no version: the first webhook wins
// over it, a second provisioning does not.
func checkUserZeroVersion(c *checker) {
	id := c.id("user_a")
	provisioned := store.User{ID: id, Email: "from-token@example.com"}
	c.upsertUser(provisioned, true)
	c.wantUser("provisioned without a version", provisioned)
	again := store.User{ID: id, Email: "other@example.com"}
	c.upsertUser(again, false)
	c.wantUser("provisioned twice", provisioned)
	c.upsertUser(user(id, 1), true)
	c.wantUser("first webhook after provisioning", user(id, 1))
	c.upsertUser(again, false)
	c.wantUser("provisioning after a webhook", user(id, 1))
}

func checkUserVersionGuard(c *checker) {
	id := c.id("user_a")
	c.upsertUser(user(id, 20), true)
	c.upsertUser(user(id, 10), false)
	c.wantUser("after an older version", user(id, 20))

	equal := user(c.id("user_b"), 99) // another profile…
	equal.ID = id
	equal.UpdatedAt = at(20) // …with the stored version
	c.upsertUser(equal, false)
	c.wantUser("after another profile with an equal version", user(id, 20))

	c.upsertUser(user(id, 30), true)
	c.wantUser("after a newer version", user(id, 30))
	c.upsertUser(user(id, 29), false)
	c.wantUser("after a version one second older", user(id, 30))

	ms := user(id, 30)
	ms.UpdatedAt = at(30).Add(time.Millisecond)
	ms.FirstName = "one millisecond later"
	c.upsertUser(ms, true)
	c.wantUser("after a version one millisecond newer", ms)
}

// UpsertUser never changes DeletedAt: not to set it, not to clear it.
func checkUserUpsertKeepsDeletedAt(c *checker) {
	id := c.id("user_a")
	in := deactivated(user(id, 1), at(5))
	c.upsertUser(in, true)
	c.wantUser("a new user upserted with DeletedAt set", user(id, 1))

	c.deactivateUser(id, at(10), true)
	c.upsertUser(user(id, 20), true)
	c.wantUser("a newer version after deactivation", deactivated(user(id, 20), at(10)))
	c.upsertUser(deactivated(user(id, 30), at(50)), true)
	c.wantUser("a newer version carrying another DeletedAt", deactivated(user(id, 30), at(10)))
}

func checkUserDeactivate(c *checker) {
	id := c.id("user_a")
	c.upsertUser(user(id, 1), true)
	c.deactivateUser(id, at(10), true)
	c.wantUser("deactivated (still returned, profile kept)", deactivated(user(id, 1), at(10)))
	c.deactivateUser(id, at(10), false)
	c.wantUser("deactivated again at the same time", deactivated(user(id, 1), at(10)))
	c.deactivateUser(id, at(5), false)
	c.wantUser("deactivated again, earlier", deactivated(user(id, 1), at(10)))
	c.deactivateUser(id, at(15), true)
	c.wantUser("deactivated again, later (the later time is kept)", deactivated(user(id, 1), at(15)))
	c.upsertUser(user(id, 0), false)
	c.wantUser("an older version after deactivation", deactivated(user(id, 1), at(15)))
}

// Deactivating an unknown user leaves a tombstone, so that the user's late
// creation does not bring it back.
func checkUserTombstone(c *checker) {
	id := c.id("user_a")
	c.deactivateUser(id, at(10), true)
	c.wantUser("tombstone", store.User{ID: id, DeletedAt: at(10)})
	c.deactivateUser(id, at(5), false)
	c.wantUser("tombstone deactivated again, earlier", store.User{ID: id, DeletedAt: at(10)})
	c.upsertUser(user(id, 1), true)
	c.wantUser("late creation after the tombstone", deactivated(user(id, 1), at(10)))
	c.upsertUser(user(id, 2), true)
	c.wantUser("late update after the tombstone", deactivated(user(id, 2), at(10)))
	c.upsertUser(store.User{ID: id, Email: "from-token@example.com"}, false)
	c.wantUser("provisioning after the tombstone", deactivated(user(id, 2), at(10)))
}

func checkUserIndependence(c *checker) {
	a, b := c.id("user_a"), c.id("user_b")
	c.upsertUser(user(a, 10), true)
	c.upsertUser(user(b, 5), true)
	c.deactivateUser(b, at(20), true)
	c.upsertUser(user(a, 11), true)
	c.wantUser("user a", user(a, 11))
	c.wantUser("user b", deactivated(user(b, 5), at(20)))
}

// Callers own what they pass in and what they get back.
func checkUserIsolation(c *checker) {
	id := c.id("user_a")
	want := user(id, 1)
	in := user(id, 1)
	in.PublicMetadata = []byte(string(want.PublicMetadata)) // a buffer the kit owns
	if _, err := c.users.UpsertUser(c.ctx, &in); err != nil {
		c.fatalf("UpsertUser(%s): unexpected error: %v", id, err)
	}
	for i := range in.PublicMetadata {
		in.PublicMetadata[i] = ' '
	}
	in.Email = "changed@example.com"
	c.wantUser("after the caller changed the record it upserted", want)

	got, err := c.users.GetUser(c.ctx, id)
	if err != nil {
		c.fatalf("GetUser(%s): unexpected error: %v", id, err)
	}
	for i := range got.PublicMetadata {
		got.PublicMetadata[i] = ' '
	}
	got.Email = "changed@example.com"
	c.wantUser("after the caller changed the record it got", want)
}
