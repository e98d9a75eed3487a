package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/unioneyes/authkit/clerkauth/store"
)

// Clean is how a store keeps a record: the text cleaned, the ids checked.
func ExampleUser_Clean() {
	u, err := store.User{
		ID:             "user_2abc",
		FirstName:      "Ada\x00",                // a JSON "\u0000"
		LastName:       "Lovel\xe6ce",            // Latin-1, not UTF-8
		PublicMetadata: []byte(`{"plan":"pro"}`), // kept as it is
	}.Clean()
	fmt.Printf("%+q %+q %s %v\n", u.FirstName, u.LastName, u.PublicMetadata, err)

	_, err = store.User{ID: "user_\x00"}.Clean()
	fmt.Println(err, errors.Is(err, store.ErrInvalid))
	_, err = store.User{ID: "user_2abc", PublicMetadata: json.RawMessage(`{"plan":`)}.Clean()
	fmt.Println(err)
	// Output:
	// "Ada\ufffd" "Lovel\ufffdce" {"plan":"pro"} <nil>
	// store: invalid record: user id "user_\x00" is not valid UTF-8 without NUL true
	// store: invalid record: public metadata is not valid JSON
}

// The ids of Get, Delete and Revoke are checked with CleanID; an error quotes at most
// the first 64 bytes of the id.
func ExampleCleanID() {
	fmt.Println(store.CleanID("session", "sess_2abc"))
	fmt.Println(store.CleanID("session", ""))
	fmt.Println(store.CleanID("organization", "org_\xff"))
	// Output:
	// <nil>
	// store: invalid record: empty session id
	// store: invalid record: organization id "org_\xff" is not valid UTF-8 without NUL
}

// A membership removed and created again is active when its new version is after the
// deletion.
func ExampleMembership_Active() {
	t0 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	m := store.Membership{OrgID: "org_1", UserID: "user_1", UpdatedAt: t0, DeletedAt: t0.Add(time.Hour)}
	fmt.Println(m.Active())
	m.UpdatedAt = t0.Add(2 * time.Hour)
	fmt.Println(m.Active())
	// Output:
	// false
	// true
}

// mapUsers is a minimal Users store, to show the contract: version guard, tombstones,
// ErrNotFound, one Clean per write. (Its lack of locking makes it unsafe for concurrent
// use, which the contract requires; the stores of this module are safe.)
type mapUsers map[string]store.User

func (s mapUsers) GetUser(ctx context.Context, id string) (*store.User, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	u, ok := s[id]
	if !ok {
		return nil, store.ErrNotFound
	}
	return &u, nil
}

func (s mapUsers) UpsertUser(ctx context.Context, u *store.User) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if u == nil {
		return false, fmt.Errorf("mapusers: %w: nil user", store.ErrInvalid)
	}
	c, err := u.Clean()
	if err != nil {
		return false, fmt.Errorf("mapusers: %w", err)
	}
	old, ok := s[c.ID]
	if ok && !c.UpdatedAt.After(old.UpdatedAt) {
		return false, nil
	}
	c.DeletedAt = old.DeletedAt
	s[c.ID] = c
	return true, nil
}

func (s mapUsers) DeactivateUser(ctx context.Context, id string, at time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if err := store.CleanID("user", id); err != nil {
		return false, fmt.Errorf("mapusers: %w", err)
	}
	if at.IsZero() {
		return false, fmt.Errorf("mapusers: %w: zero deletion time", store.ErrInvalid)
	}
	u, ok := s[id]
	if ok && !at.After(u.DeletedAt) {
		return false, nil
	}
	if !ok {
		u = store.User{ID: id}
	}
	u.DeletedAt = at
	s[id] = u
	return true, nil
}

// A deletion that arrives before the creation leaves a tombstone: the creation applies
// (it is a newer version), but the user stays deactivated.
func ExampleUsers() {
	ctx := context.Background()
	var users store.Users = mapUsers{}
	t0 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

	applied, _ := users.DeactivateUser(ctx, "user_1", t0.Add(time.Minute))
	fmt.Println("deactivated:", applied)
	applied, _ = users.UpsertUser(ctx, &store.User{ID: "user_1", Email: "ada@example.com", UpdatedAt: t0})
	fmt.Println("created:", applied)
	u, _ := users.GetUser(ctx, "user_1")
	fmt.Println(u.Email, "active:", u.Active())

	_, err := users.GetUser(ctx, "user_2")
	fmt.Println(errors.Is(err, store.ErrNotFound))
	_, err = users.UpsertUser(ctx, &store.User{ID: ""})
	fmt.Println(err)
	// Output:
	// deactivated: true
	// created: true
	// ada@example.com active: false
	// true
	// mapusers: store: invalid record: empty user id
}
