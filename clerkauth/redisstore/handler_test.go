package redisstore_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/webhook"
)

// Two replicas behind one endpoint, sharing the Redis store: Svix's retry
// of a processed message reaches the other replica and is a duplicate; a
// failed processing is released and the retry runs it; a revocation one
// replica records, the other sees.
func TestHandlerReplicasShareRedis(t *testing.T) {
	shared, _ := newStore(t)
	secret := clerkauthtest.NewWebhookSecret()
	signer := clerkauthtest.NewWebhookSigner(secret)
	var runs atomic.Int32
	fail := atomic.Bool{}
	replica := func() *webhook.Handler {
		v, err := webhook.NewVerifier(webhook.VerifierConfig{Secrets: []string{secret}})
		require.NoError(t, err)
		h, err := webhook.NewHandler(webhook.HandlerConfig{Verifier: v, Dedupe: shared, Logger: slog.New(slog.DiscardHandler)})
		require.NoError(t, err)
		h.OnUserCreated(func(context.Context, webhook.Event, *webhook.User) error {
			runs.Add(1)
			if fail.Load() {
				return errors.New("database down")
			}
			return nil
		})
		require.NoError(t, h.Sync(webhook.SyncConfig{Revocations: shared}))
		return h
	}
	a, b := replica(), replica()
	deliver := func(h *webhook.Handler, msgID, body string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, signer.Request("/webhooks/clerk", msgID, []byte(body)))
		return rec
	}
	userCreated := `{"type":"user.created","object":"event","timestamp":1716883200000,"data":{"id":"user_1","updated_at":1716883200000}}`

	rec := deliver(a, "msg_1", userCreated)
	assert.Equal(t, http.StatusOK, rec.Code)
	rec = deliver(b, "msg_1", userCreated)
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, `{"status":"duplicate"}`+"\n", rec.Body.String())
	assert.Equal(t, int32(1), runs.Load())

	fail.Store(true)
	rec = deliver(a, "msg_2", userCreated)
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	fail.Store(false)
	rec = deliver(b, "msg_2", userCreated)
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, `{"status":"ok"}`+"\n", rec.Body.String(), "the failed delivery released its claim")
	assert.Equal(t, int32(3), runs.Load())

	ts := time.Now().UnixMilli()
	revokedBody := `{"type":"session.revoked","object":"event","timestamp":` + strconv.FormatInt(ts, 10) + `,"data":{"id":"sess_1","status":"revoked"}}`
	rec = deliver(a, "msg_3", revokedBody)
	require.Equal(t, http.StatusOK, rec.Code)
	revoked, err := shared.Revoked(context.Background(), "sess_1")
	require.NoError(t, err)
	assert.True(t, revoked)
}
