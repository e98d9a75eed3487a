package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/clerkauth/store"
	"github.com/unioneyes/authkit/webhook"
)

// syncStore is what the Sync tests write to: memstore and sqlstore are
// all three stores at once.
type syncStore interface {
	store.Users
	store.Orgs
	store.Revocations
}

// syncEpoch is the time of the tests' events; syncAt(s) is s seconds
// after it.
var syncEpoch = time.UnixMilli(1_716_883_200_000)

func syncAt(sec int) time.Time { return syncEpoch.Add(time.Duration(sec) * time.Second) }

// syncFixture is a real Handler with Sync registered, reached through
// requests signed like Svix's.
type syncFixture struct {
	handler *webhook.Handler
	signer  *clerkauthtest.WebhookSigner

	mu      sync.Mutex
	changes []string // "kind id", from OnChange
}

// newSyncFixture builds the fixture; cfg.OnChange is set to record the
// changes.
func newSyncFixture(t testing.TB, cfg webhook.SyncConfig) *syncFixture {
	t.Helper()
	secret := clerkauthtest.NewWebhookSecret()
	v, err := webhook.NewVerifier(webhook.VerifierConfig{Secrets: []string{secret}})
	require.NoError(t, err)
	h, err := webhook.NewHandler(webhook.HandlerConfig{Verifier: v, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	f := &syncFixture{handler: h, signer: clerkauthtest.NewWebhookSigner(secret)}
	cfg.OnChange = func(_ context.Context, kind, id string) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.changes = append(f.changes, kind+" "+id)
	}
	require.NoError(t, h.Sync(cfg))
	return f
}

// deliver posts body as message msgID ("" for a fresh id), signed now.
func (f *syncFixture) deliver(msgID string, body []byte) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, f.signer.Request("/webhooks/clerk", msgID, body))
	return rec
}

// takeChanges returns the changes OnChange reported since the last call.
func (f *syncFixture) takeChanges() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.changes
	f.changes = nil
	return out
}

// syncEvent returns a Clerk event envelope around data (a payload type of
// this package, or raw JSON).
func syncEvent(t testing.TB, typ string, ts time.Time, data any) []byte {
	t.Helper()
	raw, ok := data.(json.RawMessage)
	if !ok {
		var err error
		raw, err = json.Marshal(data)
		require.NoError(t, err)
	}
	b, err := json.Marshal(webhook.Event{Type: typ, Object: "event", Timestamp: ts, InstanceID: "ins_2g7np7Hrk0SN6kj5EDMLDaKNL0S", Data: raw})
	require.NoError(t, err)
	return b
}

// syncUser returns version v of a Clerk user: its primary address is the
// second of two, and every profile field depends on v.
func syncUser(id string, v int) webhook.User {
	return webhook.User{
		ID:                    id,
		Object:                "user",
		Username:              fmt.Sprintf("jane%d", v),
		FirstName:             "Jane",
		LastName:              fmt.Sprintf("Doe %d", v),
		ImageURL:              fmt.Sprintf("https://img.clerk.com/u%d", v),
		PrimaryEmailAddressID: "idn_primary",
		EmailAddresses: []webhook.EmailAddress{
			{ID: "idn_other", EmailAddress: "other@example.com"},
			{ID: "idn_primary", EmailAddress: fmt.Sprintf("jane.v%d@example.com", v)},
		},
		PublicMetadata:  json.RawMessage(fmt.Sprintf(`{"plan":"pro","v":%d}`, v)),
		PrivateMetadata: json.RawMessage(`{"secret":"never stored"}`),
		CreatedAt:       syncAt(1),
		UpdatedAt:       syncAt(v),
	}
}

func syncOrg(id string, v int) webhook.Organization {
	return webhook.Organization{
		ID:             id,
		Object:         "organization",
		Name:           fmt.Sprintf("Acme %d", v),
		Slug:           fmt.Sprintf("acme-%d", v),
		ImageURL:       fmt.Sprintf("https://img.clerk.com/o%d", v),
		PublicMetadata: json.RawMessage(fmt.Sprintf(`{"tier":%d}`, v)),
		CreatedAt:      syncAt(1),
		UpdatedAt:      syncAt(v),
	}
}

func syncMembership(memID, orgID, userID, role string, perms []string, created, updated int) webhook.Membership {
	return webhook.Membership{
		ID:             memID,
		Object:         "organization_membership",
		Role:           role,
		Permissions:    perms,
		Organization:   webhook.Organization{ID: orgID, Object: "organization", Name: "Acme"},
		PublicUserData: webhook.PublicUserData{UserID: userID, Identifier: "jane@example.com"},
		CreatedAt:      syncAt(created),
		UpdatedAt:      syncAt(updated),
	}
}

func syncSession(id, userID, status string) webhook.Session {
	return webhook.Session{ID: id, Object: "session", UserID: userID, ClientID: "client_1", Status: status, CreatedAt: syncAt(1), UpdatedAt: syncAt(2)}
}

func syncDeleted(object, id string) webhook.DeletedObject {
	return webhook.DeletedObject{Object: object, ID: id, Deleted: true}
}
