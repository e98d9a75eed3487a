package memstore_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth/memstore"
	"github.com/unioneyes/authkit/clerkauth/store"
)

// Text is kept as sqlstore keeps it, so that a program behaves the same on
// both: NUL bytes and invalid UTF-8 become U+FFFD, metadata is made valid
// UTF-8 (its \u0000 escapes kept), valid text is unchanged.
func TestTextNormalised(t *testing.T) {
	ctx := context.Background()
	s := memstore.New(memstore.Config{})
	v := time.UnixMilli(1_716_883_200_000)

	_, err := s.UpsertUser(ctx, &store.User{
		ID:             "user_a",
		Email:          "jane\x00@example.com",
		FirstName:      "a\u0000b",
		LastName:       "Do\xffe",
		Username:       "\xc3",
		ImageURL:       "https://img.clerk.com/\xed\xa0\x80",
		PublicMetadata: json.RawMessage("{\"bio\":\"caf\xe9\",\"nul\":\"\\u0000\"}"),
		UpdatedAt:      v,
	})
	require.NoError(t, err)
	u, err := s.GetUser(ctx, "user_a")
	require.NoError(t, err)
	assert.Equal(t, "jane\uFFFD@example.com", u.Email)
	assert.Equal(t, "a\uFFFDb", u.FirstName)
	assert.Equal(t, "Do\uFFFDe", u.LastName)
	assert.Equal(t, "\uFFFD", u.Username)
	assert.Equal(t, "https://img.clerk.com/\uFFFD", u.ImageURL)
	assert.Equal(t, `{"bio":"caf`+"\uFFFD"+`","nul":"\u0000"}`, string(u.PublicMetadata))

	_, err = s.UpsertOrganization(ctx, &store.Organization{
		ID: "org_a", Name: "Acme\x00", Slug: "acme-\xff", ImageURL: "\x00\x00",
		PublicMetadata: json.RawMessage("[\"\xff\xfe\"]"), UpdatedAt: v,
	})
	require.NoError(t, err)
	o, err := s.GetOrganization(ctx, "org_a")
	require.NoError(t, err)
	assert.Equal(t, "Acme\uFFFD", o.Name)
	assert.Equal(t, "acme-\uFFFD", o.Slug)
	assert.Equal(t, "\uFFFD\uFFFD", o.ImageURL)
	assert.Equal(t, "[\"\uFFFD\"]", string(o.PublicMetadata))

	perms := []string{"org:posts:read\x00", "org:\xc3:write"}
	_, err = s.UpsertMembership(ctx, &store.Membership{
		ID: "orgmem_\x00", OrgID: "org_a", UserID: "user_a", Role: "org:\xffadmin", Permissions: perms, UpdatedAt: v,
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"org:posts:read\x00", "org:\xc3:write"}, perms, "the caller's slice is not changed")
	m, err := s.GetMembership(ctx, "org_a", "user_a")
	require.NoError(t, err)
	assert.Equal(t, "orgmem_\uFFFD", m.ID)
	assert.Equal(t, "org:\uFFFDadmin", m.Role)
	assert.Equal(t, []string{"org:posts:read\uFFFD", "org:\uFFFD:write"}, m.Permissions)

	valid := store.User{ID: "user_zoë", Email: "zoë@例え.jp", FirstName: "Zoë \uFFFD",
		PublicMetadata: json.RawMessage(`{"k":"Zürich \u0000 \ud800"}`), UpdatedAt: v}
	_, err = s.UpsertUser(ctx, &valid)
	require.NoError(t, err)
	got, err := s.GetUser(ctx, valid.ID)
	require.NoError(t, err)
	assert.Equal(t, valid, *got, "valid text unchanged")
}

// Ids holding a NUL byte or invalid UTF-8 are refused by writes with
// ErrInvalid, as sqlstore refuses them, and unknown to reads.
func TestIDsNotText(t *testing.T) {
	ctx := context.Background()
	s := memstore.New(memstore.Config{})
	now := time.UnixMilli(1_716_883_200_000)
	for _, bad := range []string{"user_a\x00", "\x00", "user_\xff", "org_\xc3"} {
		for name, write := range map[string]func() error{
			"UpsertUser":         func() error { _, err := s.UpsertUser(ctx, &store.User{ID: bad}); return err },
			"DeactivateUser":     func() error { _, err := s.DeactivateUser(ctx, bad, now); return err },
			"UpsertOrganization": func() error { _, err := s.UpsertOrganization(ctx, &store.Organization{ID: bad}); return err },
			"DeleteOrganization": func() error { _, err := s.DeleteOrganization(ctx, bad, now); return err },
			"UpsertMembership org": func() error {
				_, err := s.UpsertMembership(ctx, &store.Membership{OrgID: bad, UserID: "user_a"})
				return err
			},
			"UpsertMembership user": func() error {
				_, err := s.UpsertMembership(ctx, &store.Membership{OrgID: "org_a", UserID: bad})
				return err
			},
			"DeleteMembership org":  func() error { _, err := s.DeleteMembership(ctx, bad, "user_a", now); return err },
			"DeleteMembership user": func() error { _, err := s.DeleteMembership(ctx, "org_a", bad, now); return err },
			"Revoke":                func() error { return s.Revoke(ctx, bad, now.Add(time.Hour)) },
		} {
			assert.ErrorIs(t, write(), store.ErrInvalid, "%s(%q)", name, bad)
		}
		_, err := s.GetUser(ctx, bad)
		assert.ErrorIs(t, err, store.ErrNotFound)
		ms, err := s.ListMembers(ctx, bad)
		assert.NoError(t, err)
		assert.Empty(t, ms)
	}
	for _, id := range []string{"user_a", "org_a"} {
		_, err := s.GetUser(ctx, id)
		assert.ErrorIs(t, err, store.ErrNotFound, "nothing written")
		_, err = s.GetOrganization(ctx, id)
		assert.ErrorIs(t, err, store.ErrNotFound, "nothing written")
	}
	_, err := s.GetMembership(ctx, "org_a", "user_a")
	assert.ErrorIs(t, err, store.ErrNotFound, "nothing written")
	assert.Zero(t, s.Revocations(), "nothing revoked")
}
