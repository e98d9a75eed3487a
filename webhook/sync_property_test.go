package webhook_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/unioneyes/authkit/clerkauth/memstore"
	"github.com/unioneyes/authkit/clerkauth/sqlstore"
	"github.com/unioneyes/authkit/webhook"
)

// syncPostgresEnv names the variable holding the DSN of the PostgreSQL
// server the integration tests use.
const syncPostgresEnv = "AUTHKIT_TEST_POSTGRES"

// syncDelivery is one POST Svix makes: a message id and its body. A
// message delivered twice appears twice.
type syncDelivery struct {
	msgID string
	body  []byte
}

// syncHistory is a realistic history of one user, one organization, the
// user's membership of it and one of the user's sessions, with every id
// ending in sfx: the user created, updated twice and deleted; the
// organization created, updated and deleted; the membership created with
// a legacy role, promoted, removed and created again; the session revoked.
// Four messages are delivered twice.
func syncHistory(t testing.TB, sfx string) []syncDelivery {
	user, org, sess := "user_"+sfx, "org_"+sfx, "sess_"+sfx
	read := []string{"org:posts:read"}
	events := [][]byte{
		syncEvent(t, webhook.EventUserCreated, syncAt(1), syncUser(user, 1)),
		syncEvent(t, webhook.EventUserUpdated, syncAt(2), syncUser(user, 2)),
		syncEvent(t, webhook.EventUserUpdated, syncAt(3), syncUser(user, 3)),
		syncEvent(t, webhook.EventUserDeleted, syncAt(4), syncDeleted("user", user)),
		syncEvent(t, webhook.EventOrganizationCreated, syncAt(1), syncOrg(org, 1)),
		syncEvent(t, webhook.EventOrganizationUpdated, syncAt(2), syncOrg(org, 2)),
		syncEvent(t, webhook.EventOrganizationDeleted, syncAt(5), syncDeleted("organization", org)),
		syncEvent(t, webhook.EventMembershipCreated, syncAt(1), syncMembership("orgmem_1_"+sfx, org, user, "basic_member", read, 1, 1)),
		syncEvent(t, webhook.EventMembershipUpdated, syncAt(2), syncMembership("orgmem_1_"+sfx, org, user, "admin", []string{"org:sys_memberships:manage", "org:posts:read"}, 1, 2)),
		syncEvent(t, webhook.EventMembershipDeleted, syncAt(3), syncMembership("orgmem_1_"+sfx, org, user, "admin", []string{"org:sys_memberships:manage", "org:posts:read"}, 1, 2)),
		syncEvent(t, webhook.EventMembershipCreated, syncAt(6), syncMembership("orgmem_2_"+sfx, org, user, "org:member", read, 6, 6)),
		syncEvent(t, webhook.EventSessionRevoked, syncAt(2), syncSession(sess, user, "revoked")),
	}
	var out []syncDelivery
	for i, body := range events {
		out = append(out, syncDelivery{fmt.Sprintf("msg_%02d_%s", i, sfx), body})
	}
	for _, i := range []int{2, 6, 9, 10} {
		out = append(out, out[i])
	}
	return out
}

// syncWant is the canonical dump of the state every order of syncHistory
// must end in (ids without their suffix). The membership itself is active
// (re-created after its deletion), but the lists leave it out: its user is
// deactivated and its organization deleted.
const syncWant = `user user: email=jane.v3@example.com first=Jane last="Doe 3" username=jane3 image=https://img.clerk.com/u3 meta={"plan":"pro","v":3} created=1716883201000 updated=1716883203000 deleted=1716883204000 active=false
org org: name="Acme 2" slug=acme-2 image=https://img.clerk.com/o2 meta={"tier":2} created=1716883201000 updated=1716883202000 deleted=1716883205000
membership org/user: id=orgmem_2 role=org:member perms=[org:posts:read] created=1716883206000 updated=1716883206000 deleted=1716883203000 active=true
members of org: []
memberships of user: []
session sess revoked=true
`

// syncDump writes the state of the records of one history, in a canonical
// form with the suffix removed from ids.
func syncDump(t testing.TB, s syncStore, sfx string) string {
	t.Helper()
	ctx := context.Background()
	user, org, sess := "user_"+sfx, "org_"+sfx, "sess_"+sfx
	strip := func(id string) string { return strings.TrimSuffix(id, "_"+sfx) }
	ms := func(t time.Time) string {
		if t.IsZero() {
			return "zero"
		}
		return fmt.Sprint(t.UnixMilli())
	}
	meta := func(m json.RawMessage) string {
		var b bytes.Buffer
		if err := json.Compact(&b, m); err != nil {
			return "invalid:" + string(m)
		}
		return b.String()
	}
	var b strings.Builder
	u, err := s.GetUser(ctx, user)
	require.NoError(t, err)
	fmt.Fprintf(&b, "user %s: email=%s first=%s last=%q username=%s image=%s meta=%s created=%s updated=%s deleted=%s active=%v\n",
		strip(u.ID), u.Email, u.FirstName, u.LastName, u.Username, u.ImageURL, meta(u.PublicMetadata), ms(u.CreatedAt), ms(u.UpdatedAt), ms(u.DeletedAt), u.Active())
	o, err := s.GetOrganization(ctx, org)
	require.NoError(t, err)
	fmt.Fprintf(&b, "org %s: name=%q slug=%s image=%s meta=%s created=%s updated=%s deleted=%s\n",
		strip(o.ID), o.Name, o.Slug, o.ImageURL, meta(o.PublicMetadata), ms(o.CreatedAt), ms(o.UpdatedAt), ms(o.DeletedAt))
	m, err := s.GetMembership(ctx, org, user)
	require.NoError(t, err)
	fmt.Fprintf(&b, "membership %s/%s: id=%s role=%s perms=%v created=%s updated=%s deleted=%s active=%v\n",
		strip(m.OrgID), strip(m.UserID), strip(m.ID), m.Role, m.Permissions, ms(m.CreatedAt), ms(m.UpdatedAt), ms(m.DeletedAt), m.Active())
	members, err := s.ListMembers(ctx, org)
	require.NoError(t, err)
	var ids []string
	for _, m := range members {
		ids = append(ids, strip(m.UserID))
	}
	fmt.Fprintf(&b, "members of %s: %v\n", strip(org), ids)
	memberships, err := s.ListUserMemberships(ctx, user)
	require.NoError(t, err)
	ids = nil
	for _, m := range memberships {
		ids = append(ids, strip(m.OrgID))
	}
	fmt.Fprintf(&b, "memberships of %s: %v\n", strip(user), ids)
	revoked, err := s.Revoked(ctx, sess)
	require.NoError(t, err)
	fmt.Fprintf(&b, "session %s revoked=%v\n", strip(sess), revoked)
	return b.String()
}

// runSyncPermutations delivers the history in n random orders (seeded),
// through one real Handler with Sync on store, each order to ids of its
// own, and checks every final state against syncWant.
func runSyncPermutations(t *testing.T, mem syncStore, n int) {
	f := newSyncFixture(t, webhook.SyncConfig{Users: mem, Orgs: mem, Revocations: mem})
	rng := mrand.New(mrand.NewPCG(20240528, uint64(n)))
	for p := range n {
		sfx := fmt.Sprintf("p%03d", p)
		history := syncHistory(t, sfx)
		seen := map[string]bool{}
		for _, i := range rng.Perm(len(history)) {
			d := history[i]
			rec := f.deliver(d.msgID, d.body)
			want := syncRespOK
			if seen[d.msgID] {
				want = syncRespDuplicate
			}
			seen[d.msgID] = true
			if rec.Code != http.StatusOK || rec.Body.String() != want {
				t.Fatalf("order %d, message %s: %d %q, want 200 %q", p, d.msgID, rec.Code, rec.Body.String(), want)
			}
		}
		if got := syncDump(t, mem, sfx); got != syncWant {
			t.Fatalf("order %d ended in another state:\n%s\nwant:\n%s", p, got, syncWant)
		}
	}
}

// Any order of delivery, with duplicates, ends in the same state, on
// every store.
func TestSyncAnyOrderSameState(t *testing.T) {
	// Revocations are recorded for 24 h after syncAt(2): the stores'
	// clock stands before that.
	now := func() time.Time { return syncAt(0) }
	t.Run("memstore", func(t *testing.T) {
		runSyncPermutations(t, memstore.New(memstore.Config{Now: now}), 200)
	})
	t.Run("SQLite", func(t *testing.T) {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "sync.db")+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
		require.NoError(t, err)
		t.Cleanup(func() { _ = db.Close() })
		runSyncPermutations(t, syncSQLStore(t, db, sqlstore.SQLite, now), 200)
	})
	t.Run("Postgres", func(t *testing.T) {
		runSyncPermutations(t, syncSQLStore(t, syncPostgresDB(t), sqlstore.Postgres, now), 100)
	})
}

func syncSQLStore(t *testing.T, db *sql.DB, d sqlstore.Dialect, now func() time.Time) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.New(db, sqlstore.Config{Dialect: d, Now: now})
	require.NoError(t, err)
	require.NoError(t, s.Migrate(context.Background()))
	return s
}

// syncPostgresDB returns a pool on a schema of its own, dropped after the
// test. It skips when AUTHKIT_TEST_POSTGRES is unset and fails when the
// server does not answer.
func syncPostgresDB(t *testing.T) *sql.DB {
	t.Helper()
	dsn := os.Getenv(syncPostgresEnv)
	if dsn == "" {
		t.Skip(syncPostgresEnv + " not set; skipping PostgreSQL integration tests")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatalf("%s: %v", syncPostgresEnv, err)
	}
	admin := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { _ = admin.Close() })
	if err := admin.PingContext(ctx); err != nil {
		t.Fatalf("%s is set but PostgreSQL does not answer: %v", syncPostgresEnv, err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "authkit_test_" + hex.EncodeToString(b[:])
	_, err = admin.ExecContext(ctx, `CREATE SCHEMA `+schema)
	require.NoError(t, err)
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	cfg = cfg.Copy()
	cfg.RuntimeParams["search_path"] = schema
	db := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { _ = db.Close() })
	return db
}
