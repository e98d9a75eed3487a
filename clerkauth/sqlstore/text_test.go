package sqlstore_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth/sqlstore"
	"github.com/unioneyes/authkit/clerkauth/store"
)

// PostgreSQL's text refuses NUL bytes and invalid UTF-8 (SQLSTATE 22021),
// which SQLite accepts. The store writes the same thing on both: every text
// value made valid UTF-8 without NUL (U+FFFD in place of each invalid
// sequence and of each NUL), metadata made valid UTF-8, its \u0000 escapes
// kept as they are.
func TestTextNormalised(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dialect sqlstore.Dialect, open func(testing.TB) *sql.DB) {
		ctx := context.Background()
		db := open(t)
		s := newStore(t, db, sqlstore.Config{Dialect: dialect})
		v := time.UnixMilli(1_716_883_200_000)

		applied, err := s.UpsertUser(ctx, &store.User{
			ID:             "user_a",
			Email:          "jane\x00@example.com",
			FirstName:      "a\u0000b", // as encoding/json decodes "a\u0000b"
			LastName:       "Do\xffe",
			Username:       "\xc3",                               // a truncated two-byte sequence
			ImageURL:       "https://img.clerk.com/\xed\xa0\x80", // an encoded surrogate
			PublicMetadata: json.RawMessage("{\"bio\":\"caf\xe9\",\"nul\":\"\\u0000\"}"),
			UpdatedAt:      v,
		})
		require.NoError(t, err, "UpsertUser with NUL and invalid UTF-8")
		assert.True(t, applied)
		u, err := s.GetUser(ctx, "user_a")
		require.NoError(t, err)
		assert.Equal(t, "jane\uFFFD@example.com", u.Email)
		assert.Equal(t, "a\uFFFDb", u.FirstName)
		assert.Equal(t, "Do\uFFFDe", u.LastName)
		assert.Equal(t, "\uFFFD", u.Username)
		assert.Equal(t, "https://img.clerk.com/\uFFFD", u.ImageURL)
		assert.Equal(t, `{"bio":"caf`+"\uFFFD"+`","nul":"\u0000"}`, string(u.PublicMetadata),
			"invalid UTF-8 replaced; the JSON escape \\u0000 kept")

		applied, err = s.UpsertOrganization(ctx, &store.Organization{
			ID:             "org_a",
			Name:           "Acme\x00",
			Slug:           "acme-\xff",
			ImageURL:       "\x00\x00",
			PublicMetadata: json.RawMessage("[\"\xff\xfe\"]"),
			UpdatedAt:      v,
		})
		require.NoError(t, err, "UpsertOrganization with NUL and invalid UTF-8")
		assert.True(t, applied)
		o, err := s.GetOrganization(ctx, "org_a")
		require.NoError(t, err)
		assert.Equal(t, "Acme\uFFFD", o.Name)
		assert.Equal(t, "acme-\uFFFD", o.Slug)
		assert.Equal(t, "\uFFFD\uFFFD", o.ImageURL, "each NUL replaced")
		assert.Equal(t, "[\"\uFFFD\"]", string(o.PublicMetadata), "a run of invalid bytes is one U+FFFD")

		applied, err = s.UpsertMembership(ctx, &store.Membership{
			ID:          "orgmem_\x00",
			OrgID:       "org_a",
			UserID:      "user_a",
			Role:        "org:\xffadmin",
			Permissions: []string{"org:posts:read\x00", "org:\xc3:write"},
			UpdatedAt:   v,
		})
		require.NoError(t, err, "UpsertMembership with NUL and invalid UTF-8")
		assert.True(t, applied)
		m, err := s.GetMembership(ctx, "org_a", "user_a")
		require.NoError(t, err)
		assert.Equal(t, "orgmem_\uFFFD", m.ID)
		assert.Equal(t, "org:\uFFFDadmin", m.Role)
		assert.Equal(t, []string{"org:posts:read\uFFFD", "org:\uFFFD:write"}, m.Permissions)

		// What the database holds, read with SQL: valid UTF-8 everywhere.
		var texts []string
		for _, q := range []string{
			`SELECT email || first_name || last_name || username || image_url || public_metadata FROM authkit_users`,
			`SELECT name || slug || image_url || public_metadata FROM authkit_organizations`,
			`SELECT id || role || permissions FROM authkit_memberships`,
		} {
			var s string
			require.NoError(t, db.QueryRow(q).Scan(&s), q)
			texts = append(texts, s)
		}
		for _, s := range texts {
			assert.True(t, utf8.ValidString(s), "stored text %q is not valid UTF-8", s)
			assert.NotContains(t, s, "\x00", "stored text %q holds a NUL", s)
		}
		assert.Equal(t, "jane\uFFFD@example.coma\uFFFDbDo\uFFFDe\uFFFDhttps://img.clerk.com/\uFFFD"+
			`{"bio":"caf`+"\uFFFD"+`","nul":"\u0000"}`, texts[0], "the same on every dialect")
	})
}

// Valid text, non-ASCII included, is stored exactly as given.
func TestValidTextUnchanged(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dialect sqlstore.Dialect, open func(testing.TB) *sql.DB) {
		ctx := context.Background()
		s := newStore(t, open(t), sqlstore.Config{Dialect: dialect})
		in := store.User{
			ID: "user_zoë", Email: "zoë@例え.jp", FirstName: "Zoë \uFFFD", LastName: "🚀\t\n",
			PublicMetadata: json.RawMessage(`{"k":"Zürich \u0000 \ud800"}`), UpdatedAt: time.UnixMilli(1_716_883_200_000),
		}
		_, err := s.UpsertUser(ctx, &in)
		require.NoError(t, err)
		u, err := s.GetUser(ctx, in.ID)
		require.NoError(t, err)
		assert.Equal(t, in.Email, u.Email)
		assert.Equal(t, in.FirstName, u.FirstName)
		assert.Equal(t, in.LastName, u.LastName)
		assert.Equal(t, string(in.PublicMetadata), string(u.PublicMetadata))
	})
}

// An id holding a NUL byte or invalid UTF-8 is refused by writes (no
// record could ever be found under it on PostgreSQL) and unknown to reads,
// on every dialect.
func TestIDsNotText(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dialect sqlstore.Dialect, open func(testing.TB) *sql.DB) {
		ctx := context.Background()
		db := open(t)
		s := newStore(t, db, sqlstore.Config{Dialect: dialect})
		now := time.UnixMilli(1_716_883_200_000)
		for _, bad := range []string{"user_a\x00", "\x00", "user_\xff", "org_\xc3"} {
			t.Run("", func(t *testing.T) {
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
				assert.ErrorIs(t, err, store.ErrNotFound, "GetUser(%q)", bad)
				_, err = s.GetOrganization(ctx, bad)
				assert.ErrorIs(t, err, store.ErrNotFound, "GetOrganization(%q)", bad)
				_, err = s.GetMembership(ctx, bad, "user_a")
				assert.ErrorIs(t, err, store.ErrNotFound, "GetMembership(%q, user_a)", bad)
				_, err = s.GetMembership(ctx, "org_a", bad)
				assert.ErrorIs(t, err, store.ErrNotFound, "GetMembership(org_a, %q)", bad)
				ms, err := s.ListMembers(ctx, bad)
				assert.NoError(t, err, "ListMembers(%q)", bad)
				assert.Empty(t, ms)
				ms, err = s.ListUserMemberships(ctx, bad)
				assert.NoError(t, err, "ListUserMemberships(%q)", bad)
				assert.Empty(t, ms)
				revoked, err := s.Revoked(ctx, bad)
				assert.NoError(t, err, "Revoked(%q)", bad)
				assert.False(t, revoked)
			})
		}
		var n int
		for _, table := range []string{"users", "organizations", "memberships", "revocations"} {
			require.NoError(t, db.QueryRow(`SELECT count(*) FROM authkit_`+table).Scan(&n))
			assert.Zero(t, n, "rows in %s", table)
		}

		// An ended context still fails a read of such an id.
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		_, err := s.GetUser(cancelled, "user_\x00")
		assert.ErrorIs(t, err, context.Canceled)
		_, err = s.ListMembers(cancelled, "org_\xff")
		assert.ErrorIs(t, err, context.Canceled)
		_, err = s.Revoked(cancelled, "sess_\x00")
		assert.ErrorIs(t, err, context.Canceled)
	})
}
