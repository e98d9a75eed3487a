package clerkauthtest

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// NewWebhookSecret returns a fresh signing secret in Svix's format: "whsec_" followed by
// the base64 of 32 random bytes.
func NewWebhookSecret() string {
	var key [32]byte
	_, _ = rand.Read(key[:]) // crypto/rand.Read never fails (Go 1.24+)
	return "whsec_" + base64.StdEncoding.EncodeToString(key[:])
}

// WebhookSigner signs webhook bodies the way Svix delivers Clerk's webhooks: svix-id,
// svix-timestamp and svix-signature headers over "id.timestamp.body".
type WebhookSigner struct {
	wh *standardwebhooks.Webhook
	// Now is the clock Headers and Request use; nil means time.Now.
	Now func() time.Time
}

// NewWebhookSigner returns a signer for a "whsec_…" secret. It panics if the secret is
// not base64 after the prefix.
func NewWebhookSigner(secret string) *WebhookSigner {
	if !strings.HasPrefix(secret, "whsec_") {
		panic("clerkauthtest: a webhook secret starts with whsec_")
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		panic("clerkauthtest: bad webhook secret: " + err.Error())
	}
	return &WebhookSigner{wh: wh}
}

// Sign returns the Svix headers for body sent as message msgID at ts.
func (s *WebhookSigner) Sign(msgID string, ts time.Time, body []byte) http.Header {
	sig, err := s.wh.Sign(msgID, ts, body)
	if err != nil {
		panic("clerkauthtest: signing a webhook: " + err.Error())
	}
	h := http.Header{}
	h.Set("svix-id", msgID)
	h.Set("svix-timestamp", strconv.FormatInt(ts.Unix(), 10))
	h.Set("svix-signature", sig)
	return h
}

// Headers returns the Svix headers for body under a fresh message id, signed now.
func (s *WebhookSigner) Headers(body []byte) http.Header {
	return s.Sign(NewID("msg_"), s.now(), body)
}

// Request returns a signed POST of body to target (a URL or path), ready for a handler's
// ServeHTTP or, after setting RequestURI to "", for an http.Client. msgID "" means a
// fresh one; a retry of the same message reuses its id.
func (s *WebhookSigner) Request(target, msgID string, body []byte) *http.Request {
	if msgID == "" {
		msgID = NewID("msg_")
	}
	r := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	for k, v := range s.Sign(msgID, s.now(), body) {
		r.Header[k] = v
	}
	r.Header.Set("Content-Type", "application/json")
	return r
}

func (s *WebhookSigner) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}
