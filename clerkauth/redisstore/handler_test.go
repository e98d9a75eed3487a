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

// The review's scenario on a shared Redis: delivery A's claim lease
// (100 ms) expires while its function still runs, B takes the id over, A
// fails and releases: B's claim must survive, so C, overlapping B, is
// answered 409 and runs nothing.
func TestHandlerStaleReleaseKeepsNewClaim(t *testing.T) {
	shared, _ := newStore(t)
	secret := clerkauthtest.NewWebhookSecret()
	signer := clerkauthtest.NewWebhookSigner(secret)
	v, err := webhook.NewVerifier(webhook.VerifierConfig{Secrets: []string{secret}})
	require.NoError(t, err)
	// Replica 1 runs A with a short lease; replica 2 runs B and C with a
	// long one, so that B's claim cannot expire during the test.
	const lease = 100 * time.Millisecond
	replica1, err := webhook.NewHandler(webhook.HandlerConfig{Verifier: v, Dedupe: shared, ClaimLease: lease, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	replica2, err := webhook.NewHandler(webhook.HandlerConfig{Verifier: v, Dedupe: shared, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	var (
		calls   atomic.Int32
		started = make(chan int32, 10)
		finish  = [2]chan error{make(chan error), make(chan error)}
	)
	fn := func(context.Context, webhook.Event, *webhook.User) error {
		n := calls.Add(1)
		started <- n
		if n > 2 {
			return nil // a third run must not happen; it does not block
		}
		return <-finish[n-1]
	}
	replica1.OnUserCreated(fn)
	replica2.OnUserCreated(fn)
	body := []byte(`{"type":"user.created","object":"event","timestamp":1716883200000,"data":{"id":"user_1","updated_at":1716883200000}}`)
	serveAsync := func(h *webhook.Handler) <-chan *httptest.ResponseRecorder {
		req := signer.Request("/webhooks/clerk", "msg_lease", body)
		out := make(chan *httptest.ResponseRecorder, 1)
		go func() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			out <- rec
		}()
		return out
	}

	a := serveAsync(replica1)
	require.EqualValues(t, 1, <-started)
	time.Sleep(2 * lease) // Redis's clock: A's lease expires while A runs
	b := serveAsync(replica2)
	require.EqualValues(t, 2, <-started, "B took the expired claim over")
	finish[0] <- errors.New("A failed")
	assert.Equal(t, http.StatusInternalServerError, (<-a).Code)

	c := <-serveAsync(replica2)
	assert.Equal(t, http.StatusConflict, c.Code, "B's claim survived A's release")
	assert.EqualValues(t, 2, calls.Load(), "C ran the function while B held the claim")

	finish[1] <- nil
	assert.Equal(t, http.StatusOK, (<-b).Code)
}
