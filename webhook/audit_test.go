package webhook_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/audit"
	"github.com/unioneyes/authkit/audit/audittest"
	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/webhook"
)

func TestRefusedDeliveriesReachTheAuditRecord(t *testing.T) {
	secret := clerkauthtest.NewWebhookSecret()
	v, err := webhook.NewVerifier(webhook.VerifierConfig{Secrets: []string{secret}})
	require.NoError(t, err)
	h, err := webhook.NewHandler(webhook.HandlerConfig{Verifier: v, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	rec := &audittest.Recorder{}
	auditor, err := audit.New(audit.Config{Sink: rec})
	require.NoError(t, err)
	srv := auditor.Handler(h)

	other := clerkauthtest.NewWebhookSigner(clerkauthtest.NewWebhookSecret())
	req := other.Request("/webhooks/clerk", "", []byte(`{"type":"user.created","object":"event","data":{}}`))
	srv.ServeHTTP(httptest.NewRecorder(), req)
	r, ok := rec.Last()
	require.True(t, ok)
	require.Equal(t, http.StatusBadRequest, r.Status)
	require.Equal(t, audit.AuthFailure, r.AuthOutcome)
	require.Equal(t, webhook.ErrNoMatchingSignature.Error(), r.AuthFailure)

	stale := clerkauthtest.NewWebhookSigner(secret)
	stale.Now = func() time.Time { return time.Now().Add(-time.Hour) }
	srv.ServeHTTP(httptest.NewRecorder(), stale.Request("/webhooks/clerk", "", []byte(`{}`)))
	r, _ = rec.Last()
	require.Equal(t, webhook.ErrTimestampTooOld.Error(), r.AuthFailure)
}
