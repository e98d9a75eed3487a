package sqlstore_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth/sqlstore"
)

func revocationRows(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM authkit_revocations`).Scan(&n))
	return n
}

func TestRevocationsWithClock(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dialect sqlstore.Dialect, open func(testing.TB) *sql.DB) {
		ctx := context.Background()
		c := clerkauthtest.NewClock(time.UnixMilli(1_716_883_200_000))
		db := open(t)
		s := newStore(t, db, sqlstore.Config{Dialect: dialect, Now: c.Now})
		revoked := func(id string) bool {
			t.Helper()
			ok, err := s.Revoked(ctx, id)
			require.NoError(t, err)
			return ok
		}

		t.Run("ExpiresAtUntil", func(t *testing.T) {
			require.NoError(t, s.Revoke(ctx, "sess_a", c.Now().Add(time.Minute)))
			assert.True(t, revoked("sess_a"))
			c.Advance(time.Minute - time.Millisecond)
			assert.True(t, revoked("sess_a"), "one millisecond before until")
			c.Advance(time.Millisecond)
			assert.False(t, revoked("sess_a"), "at until")
		})
		t.Run("SubMillisecondUntilRoundsUp", func(t *testing.T) {
			until := c.Now().Add(10*time.Millisecond + 500*time.Microsecond)
			require.NoError(t, s.Revoke(ctx, "sess_sub", until))
			c.Advance(10 * time.Millisecond)
			assert.True(t, revoked("sess_sub"), "half a millisecond before until")
			c.Advance(time.Millisecond)
			assert.False(t, revoked("sess_sub"))
		})
		t.Run("LaterUntilWins", func(t *testing.T) {
			require.NoError(t, s.Revoke(ctx, "sess_b", c.Now().Add(time.Hour)))
			require.NoError(t, s.Revoke(ctx, "sess_b", c.Now().Add(time.Minute)))
			require.NoError(t, s.Revoke(ctx, "sess_b", c.Now().Add(-time.Minute)))
			c.Advance(30 * time.Minute)
			assert.True(t, revoked("sess_b"))
			require.NoError(t, s.Revoke(ctx, "sess_c", c.Now().Add(time.Minute)))
			require.NoError(t, s.Revoke(ctx, "sess_c", c.Now().Add(time.Hour)))
			c.Advance(30 * time.Minute)
			assert.True(t, revoked("sess_c"))
			assert.False(t, revoked(""), "an empty id is never revoked")
		})
		t.Run("CleanupAtMostOnceAMinute", func(t *testing.T) {
			_, err := s.DeleteExpiredRevocations(ctx)
			require.NoError(t, err)
			c.Advance(time.Hour) // every revocation so far has ended
			require.NoError(t, s.Revoke(ctx, "sess_d", c.Now().Add(time.Hour)))
			assert.Equal(t, 1, revocationRows(t, db), "the first Revoke after a minute cleans up")

			require.NoError(t, s.Revoke(ctx, "sess_e", c.Now().Add(time.Second)))
			c.Advance(2 * time.Second)
			require.NoError(t, s.Revoke(ctx, "sess_f", c.Now().Add(time.Hour)))
			assert.Equal(t, 3, revocationRows(t, db), "no cleanup within a minute")
			require.NoError(t, s.Revoke(ctx, "sess_past", c.Now().Add(-time.Second)))
			assert.Equal(t, 3, revocationRows(t, db), "a revocation already over is not recorded")

			c.Advance(time.Minute)
			require.NoError(t, s.Revoke(ctx, "sess_g", c.Now().Add(time.Hour)))
			assert.Equal(t, 3, revocationRows(t, db))
			assert.False(t, revoked("sess_e"))
			assert.True(t, revoked("sess_d"))
		})
		t.Run("DeleteExpiredRevocations", func(t *testing.T) {
			require.NoError(t, s.Revoke(ctx, "sess_h", c.Now().Add(time.Second)))
			c.Advance(time.Second)
			n, err := s.DeleteExpiredRevocations(ctx)
			require.NoError(t, err)
			assert.Equal(t, int64(1), n)
			n, err = s.DeleteExpiredRevocations(ctx)
			require.NoError(t, err)
			assert.Zero(t, n)
			assert.True(t, revoked("sess_g"))
		})
	})
}
