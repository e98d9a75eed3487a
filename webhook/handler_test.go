package webhook_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/webhook"
)

const (
	respOK         = `{"status":"ok"}` + "\n"
	respDuplicate  = `{"status":"duplicate"}` + "\n"
	respIgnored    = `{"status":"ignored"}` + "\n"
	respBadRequest = `{"error":"bad request"}` + "\n"
	respTooLarge   = `{"error":"request body too large"}` + "\n"
	respMethod     = `{"error":"method not allowed"}` + "\n"
	respConflict   = `{"error":"message is being processed, retry later"}` + "\n"
	respInternal   = `{"error":"internal error"}` + "\n"
)

// syncBuffer collects log output written from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// records returns the JSON log records whose message is msg.
func (b *syncBuffer) records(t testing.TB, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(b.String()))
	sc.Buffer(make([]byte, 0, 1<<16), 1<<22)
	for sc.Scan() {
		var rec map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &rec))
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

type fixture struct {
	clock   *clerkauthtest.Clock
	dedupe  *webhook.MemoryDedupe
	handler *webhook.Handler
	logs    *syncBuffer
}

// newFixture returns a Handler verifying with secretA on a manual clock,
// with a MemoryDedupe on the same clock and a JSON logger at debug level.
// mod may change the configs before construction.
func newFixture(t testing.TB, mod func(*webhook.VerifierConfig, *webhook.HandlerConfig)) *fixture {
	t.Helper()
	f := &fixture{clock: newManualClock(1_716_883_200), logs: &syncBuffer{}}
	f.dedupe = newMemoryDedupe(t, webhook.MemoryDedupeConfig{Now: f.clock.Now})
	vcfg := webhook.VerifierConfig{Secrets: []string{secretA}, Now: f.clock.Now}
	hcfg := webhook.HandlerConfig{
		Dedupe: f.dedupe,
		Logger: slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mod != nil {
		mod(&vcfg, &hcfg)
	}
	hcfg.Verifier = newVerifier(t, vcfg)
	h, err := webhook.NewHandler(hcfg)
	require.NoError(t, err)
	f.handler = h
	return f
}

// request returns a POST signed now with secretA.
func (f *fixture) request(t testing.TB, id, body string) *http.Request {
	t.Helper()
	ts := f.clock.Now().Unix()
	req := httptest.NewRequest(http.MethodPost, "/webhooks/clerk", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("svix-id", id)
	req.Header.Set("svix-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("svix-signature", sign(t, secretA, id, ts, []byte(body)))
	return req
}

func (f *fixture) serve(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	return rec
}

func assertResponse(t testing.TB, rec *httptest.ResponseRecorder, status int, body string) {
	t.Helper()
	assert.Equal(t, status, rec.Code)
	assert.Equal(t, body, rec.Body.String())
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	assert.Equal(t, "nosniff", rec.Header().Get("X-Content-Type-Options"))
}

func event(typ, data string) string {
	return `{"type":"` + typ + `","object":"event","instance_id":"ins_1","timestamp":1716883200000,"data":` + data + `}`
}

const userData = `{"id":"user_1","object":"user","first_name":"Ada","last_name":"Lovelace","username":"ada",
 "image_url":"https://img.clerk.com/ada","primary_email_address_id":"idn_1",
 "email_addresses":[{"id":"idn_1","object":"email_address","email_address":"ada@example.org","verification":{"status":"verified"}}],
 "public_metadata":{"role":"admin"},"created_at":1716883100000,"updated_at":1716883200000}`

// counter is an EventFunc that counts its calls and returns the error
// next returns (nil when next is nil).
type counter struct {
	n    atomic.Int64
	next func(n int64) error
}

func (c *counter) fn(context.Context, webhook.Event) error {
	n := c.n.Add(1)
	if c.next != nil {
		return c.next(n)
	}
	return nil
}

func TestHandlerMethodNotAllowed(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	var c counter
	f.handler.On(webhook.EventUserCreated, c.fn)
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodHead, http.MethodDelete, http.MethodPatch, http.MethodOptions} {
		req := f.request(t, "msg_1", event(webhook.EventUserCreated, userData))
		req.Method = m
		rec := f.serve(req)
		assertResponse(t, rec, http.StatusMethodNotAllowed, respMethod)
		assert.Equal(t, "POST", rec.Header().Get("Allow"), m)
	}
	assert.Zero(t, c.n.Load())
	assert.Zero(t, f.dedupe.Len())
}

func TestHandlerBodyTooLarge(t *testing.T) {
	t.Parallel()
	const limit = 1024
	f := newFixture(t, func(v *webhook.VerifierConfig, _ *webhook.HandlerConfig) { v.MaxBodyBytes = limit })
	var c counter
	f.handler.On("test.event", c.fn)
	pad := func(n int) string { // a valid event of exactly n bytes
		s := `{"type":"test.event","data":{"id":"x"},"pad":""}`
		return s[:len(s)-2] + strings.Repeat("p", n-len(s)) + `"}`
	}

	t.Run("exactly the limit", func(t *testing.T) {
		body := pad(limit)
		require.Len(t, body, limit)
		assertResponse(t, f.serve(f.request(t, "msg_limit", body)), http.StatusOK, respOK)
		assert.EqualValues(t, 1, c.n.Load())
	})
	t.Run("declared Content-Length over the limit", func(t *testing.T) {
		req := f.request(t, "msg_big", pad(limit+1))
		require.EqualValues(t, limit+1, req.ContentLength)
		assertResponse(t, f.serve(req), http.StatusRequestEntityTooLarge, respTooLarge)
	})
	t.Run("no Content-Length (chunked)", func(t *testing.T) {
		req := f.request(t, "msg_big", pad(limit+1))
		req.ContentLength = -1
		req.Body = io.NopCloser(strings.NewReader(pad(limit + 1)))
		assertResponse(t, f.serve(req), http.StatusRequestEntityTooLarge, respTooLarge)
	})
	t.Run("Content-Length understated", func(t *testing.T) {
		req := f.request(t, "msg_big", pad(limit+1))
		req.ContentLength = 10
		assertResponse(t, f.serve(req), http.StatusRequestEntityTooLarge, respTooLarge)
	})
	t.Run("handler limit below the verifier's", func(t *testing.T) {
		g := newFixture(t, func(_ *webhook.VerifierConfig, h *webhook.HandlerConfig) { h.MaxBodyBytes = 100 })
		assertResponse(t, g.serve(g.request(t, "msg_1", event("test.event", `{"id":"`+strings.Repeat("x", 100)+`"}`))),
			http.StatusRequestEntityTooLarge, respTooLarge)
	})
	assert.EqualValues(t, 1, c.n.Load())
	assert.Len(t, f.logs.records(t, "webhook: request body too large"), 3)
}

func TestHandlerVerificationFailures(t *testing.T) {
	t.Parallel()
	body := event(webhook.EventUserCreated, userData)
	tests := []struct {
		name   string
		mutate func(f *fixture, req *http.Request)
		want   error
	}{
		{"missing svix-id", func(_ *fixture, r *http.Request) { r.Header.Del("svix-id") }, webhook.ErrMissingHeaders},
		{"missing svix-timestamp", func(_ *fixture, r *http.Request) { r.Header.Del("svix-timestamp") }, webhook.ErrMissingHeaders},
		{"missing svix-signature", func(_ *fixture, r *http.Request) { r.Header.Del("svix-signature") }, webhook.ErrMissingHeaders},
		{"conflicting headers", func(_ *fixture, r *http.Request) { r.Header.Set("webhook-id", "msg_other") }, webhook.ErrInvalidHeaders},
		{"invalid message id", func(_ *fixture, r *http.Request) { r.Header.Set("svix-id", "msg.1") }, webhook.ErrInvalidMessageID},
		{"invalid timestamp", func(_ *fixture, r *http.Request) { r.Header.Set("svix-timestamp", "soon") }, webhook.ErrInvalidTimestamp},
		{"too old", func(f *fixture, _ *http.Request) { f.clock.Advance(301 * time.Second) }, webhook.ErrTimestampTooOld},
		{"too new", func(f *fixture, _ *http.Request) { f.clock.Advance(-301 * time.Second) }, webhook.ErrTimestampTooNew},
		{"bad signature", func(_ *fixture, r *http.Request) { r.Header.Set("svix-signature", wrongSig) }, webhook.ErrNoMatchingSignature},
		{"tampered body", func(_ *fixture, r *http.Request) {
			tampered := strings.Replace(body, "Ada", "Eve", 1)
			r.Body = io.NopCloser(strings.NewReader(tampered))
			r.ContentLength = int64(len(tampered))
		}, webhook.ErrNoMatchingSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			var c counter
			f.handler.OnUserCreated(func(ctx context.Context, e webhook.Event, _ *webhook.User) error { return c.fn(ctx, e) })
			req := f.request(t, "msg_1", body)
			sig := req.Header.Get("svix-signature")
			tc.mutate(f, req)
			assertResponse(t, f.serve(req), http.StatusBadRequest, respBadRequest)
			assert.Zero(t, c.n.Load())
			assert.Zero(t, f.dedupe.Len())
			recs := f.logs.records(t, "webhook: verification failed")
			require.Len(t, recs, 1)
			assert.Contains(t, recs[0]["error"], strings.TrimPrefix(tc.want.Error(), "webhook: "))
			assert.NotContains(t, f.logs.String(), sig[3:], "a signature was logged")
			assert.NotContains(t, f.logs.String(), strings.TrimPrefix(secretA, "whsec_"), "the secret was logged")
		})
	}
}

func TestHandlerMalformedVerifiedBody(t *testing.T) {
	t.Parallel()
	for i, body := range []string{
		`not json`, `[]`, `null`, `{"type":5}`, `{"data":{}}`, `{"type":"user.created","timestamp":"yesterday"}`, ``,
	} {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			var c counter
			f.handler.On(webhook.EventUserCreated, c.fn)
			assertResponse(t, f.serve(f.request(t, "msg_1", body)), http.StatusOK, respIgnored)
			assert.Zero(t, c.n.Load())
			recs := f.logs.records(t, "webhook: verified message is not a Clerk event; acknowledged without processing")
			require.Len(t, recs, 1, "body %q", body)
			assert.Equal(t, "ERROR", recs[0]["level"])
			assert.Equal(t, "msg_1", recs[0]["msg_id"])
		})
	}
}

func TestHandlerUnknownType(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	var c counter
	f.handler.On(webhook.EventUserCreated, c.fn)
	rec := f.serve(f.request(t, "msg_1", event("subscriptionItem.freeTrialEnding", `{"id":"si_1"}`)))
	assertResponse(t, rec, http.StatusOK, respIgnored)
	assert.Zero(t, c.n.Load())
	assert.Zero(t, f.dedupe.Len(), "an ignored type does not touch the store")
}

func TestHandlerDispatchTyped(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	var got struct {
		ev   webhook.Event
		user *webhook.User
	}
	f.handler.OnUserCreated(func(_ context.Context, e webhook.Event, u *webhook.User) error {
		got.ev, got.user = e, u
		return nil
	})
	assertResponse(t, f.serve(f.request(t, "msg_typed", event(webhook.EventUserCreated, userData))), http.StatusOK, respOK)
	require.NotNil(t, got.user)
	assert.Equal(t, "msg_typed", got.ev.MessageID)
	assert.Equal(t, webhook.EventUserCreated, got.ev.Type)
	assert.Equal(t, "ins_1", got.ev.InstanceID)
	assert.True(t, got.ev.Timestamp.Equal(time.UnixMilli(1716883200000)))
	assert.Equal(t, "user_1", got.user.ID)
	assert.Equal(t, "ada@example.org", got.user.PrimaryEmail())
	assert.Equal(t, "ada", got.user.Username)
	assert.True(t, got.user.UpdatedAt.Equal(time.UnixMilli(1716883200000)))

	r, err := f.dedupe.Claim(context.Background(), "msg_typed", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, webhook.ClaimDone, r, "the message was marked done")
}

func TestHandlerErrorReleasesClaim(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	c := counter{next: func(n int64) error {
		if n == 1 {
			return errors.New("database is down")
		}
		return nil
	}}
	f.handler.On(webhook.EventUserUpdated, c.fn)
	body := event(webhook.EventUserUpdated, userData)

	assertResponse(t, f.serve(f.request(t, "msg_retry", body)), http.StatusInternalServerError, respInternal)
	recs := f.logs.records(t, "webhook: event handler failed; released for Svix to retry")
	require.Len(t, recs, 1)
	assert.Equal(t, "database is down", recs[0]["error"])
	assert.Equal(t, webhook.EventUserUpdated, recs[0]["event_type"])

	// Svix's retry: same id, new timestamp and signature.
	f.clock.Advance(5 * time.Second)
	assertResponse(t, f.serve(f.request(t, "msg_retry", body)), http.StatusOK, respOK)
	f.clock.Advance(5 * time.Minute)
	assertResponse(t, f.serve(f.request(t, "msg_retry", body)), http.StatusOK, respDuplicate)
	assert.EqualValues(t, 2, c.n.Load())
}

func TestHandlerPanicReleasesClaim(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	var calls atomic.Int64
	f.handler.On(webhook.EventUserUpdated, func(context.Context, webhook.Event) error {
		if calls.Add(1) == 1 {
			var m map[string]int
			m["boom"]++ // nil map write
		}
		return nil
	})
	body := event(webhook.EventUserUpdated, userData)
	assertResponse(t, f.serve(f.request(t, "msg_panic", body)), http.StatusInternalServerError, respInternal)
	recs := f.logs.records(t, "webhook: event handler panicked")
	require.Len(t, recs, 1)
	assert.Contains(t, recs[0]["panic"], "nil map")
	assert.Contains(t, recs[0]["stack"], "handler_test.go")

	f.clock.Advance(5 * time.Second)
	assertResponse(t, f.serve(f.request(t, "msg_panic", body)), http.StatusOK, respOK)
	assert.EqualValues(t, 2, calls.Load())
}

func TestHandlerDuplicateAfterSuccess(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	var c counter
	f.handler.On(webhook.EventUserCreated, c.fn)
	body := event(webhook.EventUserCreated, userData)
	assertResponse(t, f.serve(f.request(t, "msg_dup", body)), http.StatusOK, respOK)
	for range 3 {
		f.clock.Advance(time.Hour)
		assertResponse(t, f.serve(f.request(t, "msg_dup", body)), http.StatusOK, respDuplicate)
	}
	assert.EqualValues(t, 1, c.n.Load())
	// After the TTL (72 h by default) the id is forgotten.
	f.clock.Advance(72 * time.Hour)
	assertResponse(t, f.serve(f.request(t, "msg_dup", body)), http.StatusOK, respOK)
	assert.EqualValues(t, 2, c.n.Load())
}

func TestHandlerInProgressIsConflict(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	var c counter
	f.handler.On(webhook.EventUserCreated, c.fn)
	r, err := f.dedupe.Claim(context.Background(), "msg_busy", time.Minute)
	require.NoError(t, err)
	require.Equal(t, webhook.ClaimAcquired, r)
	body := event(webhook.EventUserCreated, userData)
	assertResponse(t, f.serve(f.request(t, "msg_busy", body)), http.StatusConflict, respConflict)
	assert.Zero(t, c.n.Load())
	// The default lease (2 min) of a crashed delivery expires.
	f.clock.Advance(2 * time.Minute)
	assertResponse(t, f.serve(f.request(t, "msg_busy", body)), http.StatusOK, respOK)
	assert.EqualValues(t, 1, c.n.Load())
}

// 50 deliveries of one message at once: the function runs exactly once.
// It blocks until the 49 others have been answered, so they all overlap
// with it.
func TestHandlerConcurrentDeliveries(t *testing.T) {
	t.Parallel()
	const n = 50
	f := newFixture(t, nil)
	var (
		calls    atomic.Int64
		answered = make(chan struct{})
	)
	f.handler.On(webhook.EventUserCreated, func(context.Context, webhook.Event) error {
		calls.Add(1)
		select {
		case <-answered:
		case <-time.After(30 * time.Second): // only reached if a second delivery ran too
		}
		return nil
	})
	body := event(webhook.EventUserCreated, userData)
	reqs := make([]*http.Request, n)
	for i := range reqs {
		reqs[i] = f.request(t, "msg_race", body)
	}
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		recs  = make([]*httptest.ResponseRecorder, n)
		other atomic.Int64
	)
	for i := range n {
		wg.Go(func() {
			<-start
			recs[i] = f.serve(reqs[i])
			if recs[i].Code != http.StatusOK && other.Add(1) == n-1 {
				close(answered)
			}
		})
	}
	close(start)
	wg.Wait()
	assert.EqualValues(t, 1, calls.Load())
	codes := map[string]int{}
	for _, rec := range recs {
		codes[strconv.Itoa(rec.Code)+" "+rec.Body.String()]++
	}
	assert.Equal(t, map[string]int{"200 " + respOK: 1, "409 " + respConflict: n - 1}, codes)
	// Afterwards it is a plain duplicate.
	assertResponse(t, f.serve(f.request(t, "msg_race", body)), http.StatusOK, respDuplicate)
}

// fakeDedupe fails on demand.
type fakeDedupe struct {
	claim                  webhook.ClaimResult
	claimErr               error
	doneErr, releaseErr    error
	mu                     sync.Mutex
	claims, dones, release int
}

func (d *fakeDedupe) Claim(context.Context, string, time.Duration) (webhook.ClaimResult, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.claims++
	return d.claim, d.claimErr
}

func (d *fakeDedupe) Done(context.Context, string, time.Duration) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.dones++
	return d.doneErr
}

func (d *fakeDedupe) Release(context.Context, string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.release++
	return d.releaseErr
}

func TestHandlerDedupeFailures(t *testing.T) {
	t.Parallel()
	body := event(webhook.EventUserCreated, userData)
	withStore := func(d webhook.Dedupe) func(*webhook.VerifierConfig, *webhook.HandlerConfig) {
		return func(_ *webhook.VerifierConfig, h *webhook.HandlerConfig) { h.Dedupe = d }
	}

	t.Run("claim error is 500", func(t *testing.T) {
		t.Parallel()
		d := &fakeDedupe{claimErr: errors.New("redis: connection refused")}
		f := newFixture(t, withStore(d))
		var c counter
		f.handler.On(webhook.EventUserCreated, c.fn)
		assertResponse(t, f.serve(f.request(t, "msg_1", body)), http.StatusInternalServerError, respInternal)
		assert.Zero(t, c.n.Load())
		recs := f.logs.records(t, "webhook: dedupe claim failed")
		require.Len(t, recs, 1)
		assert.Equal(t, "redis: connection refused", recs[0]["error"])
	})
	t.Run("invalid claim result is 500", func(t *testing.T) {
		t.Parallel()
		d := &fakeDedupe{claim: webhook.ClaimResult(0)}
		f := newFixture(t, withStore(d))
		var c counter
		f.handler.On(webhook.EventUserCreated, c.fn)
		assertResponse(t, f.serve(f.request(t, "msg_1", body)), http.StatusInternalServerError, respInternal)
		assert.Zero(t, c.n.Load())
	})
	t.Run("done error still acknowledges", func(t *testing.T) {
		t.Parallel()
		d := &fakeDedupe{claim: webhook.ClaimAcquired, doneErr: errors.New("redis: timeout")}
		f := newFixture(t, withStore(d))
		var c counter
		f.handler.On(webhook.EventUserCreated, c.fn)
		assertResponse(t, f.serve(f.request(t, "msg_1", body)), http.StatusOK, respOK)
		assert.EqualValues(t, 1, c.n.Load())
		assert.Equal(t, 1, d.dones)
		assert.Zero(t, d.release)
		require.Len(t, f.logs.records(t, "webhook: marking message done failed"), 1)
	})
	t.Run("release error is logged, still 500", func(t *testing.T) {
		t.Parallel()
		d := &fakeDedupe{claim: webhook.ClaimAcquired, releaseErr: errors.New("redis: timeout")}
		f := newFixture(t, withStore(d))
		f.handler.On(webhook.EventUserCreated, func(context.Context, webhook.Event) error { return errors.New("boom") })
		assertResponse(t, f.serve(f.request(t, "msg_1", body)), http.StatusInternalServerError, respInternal)
		assert.Equal(t, 1, d.release)
		assert.Zero(t, d.dones)
		require.Len(t, f.logs.records(t, "webhook: releasing dedupe claim failed; retries wait for the lease to expire"), 1)
	})
	t.Run("release survives a cancelled request", func(t *testing.T) {
		t.Parallel()
		d := &ctxCheckingDedupe{}
		f := newFixture(t, withStore(d))
		ctx, cancel := context.WithCancel(context.Background())
		f.handler.On(webhook.EventUserCreated, func(context.Context, webhook.Event) error {
			cancel() // Svix gave up on the request
			return errors.New("too slow")
		})
		assertResponse(t, f.serve(f.request(t, "msg_1", body).WithContext(ctx)), http.StatusInternalServerError, respInternal)
		assert.NoError(t, d.releaseCtxErr)
	})
}

type ctxCheckingDedupe struct{ releaseCtxErr error }

func (d *ctxCheckingDedupe) Claim(context.Context, string, time.Duration) (webhook.ClaimResult, error) {
	return webhook.ClaimAcquired, nil
}
func (d *ctxCheckingDedupe) Done(context.Context, string, time.Duration) error { return nil }
func (d *ctxCheckingDedupe) Release(ctx context.Context, _ string) error {
	d.releaseCtxErr = ctx.Err()
	return nil
}

func TestHandlerChainOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	var order []string
	fail := true
	f.handler.On(webhook.EventUserCreated, func(context.Context, webhook.Event) error { order = append(order, "a"); return nil })
	f.handler.On(webhook.EventUserCreated, func(context.Context, webhook.Event) error {
		order = append(order, "b")
		if fail {
			return errors.New("b failed")
		}
		return nil
	})
	f.handler.On(webhook.EventUserCreated, func(context.Context, webhook.Event) error { order = append(order, "c"); return nil })
	body := event(webhook.EventUserCreated, userData)
	assertResponse(t, f.serve(f.request(t, "msg_1", body)), http.StatusInternalServerError, respInternal)
	assert.Equal(t, []string{"a", "b"}, order, "the first error stops the chain")
	fail = false
	assertResponse(t, f.serve(f.request(t, "msg_1", body)), http.StatusOK, respOK)
	assert.Equal(t, []string{"a", "b", "a", "b", "c"}, order, "a retry runs the whole chain again")
}

func TestHandlerOnRejectsBadRegistrations(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.handler.On("", func(context.Context, webhook.Event) error { return nil })
	f.handler.On(webhook.EventUserCreated, nil)
	f.handler.OnUserCreated(nil)
	f.handler.OnSession(nil)
	assert.Len(t, f.logs.records(t, "webhook: On called with an empty event type or a nil function; ignored"), 2+1+5)
	assertResponse(t, f.serve(f.request(t, "msg_1", event(webhook.EventUserCreated, userData))), http.StatusOK, respIgnored)
}

// Registering while serving is safe (run with -race).
func TestHandlerRegisterWhileServing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	body := event("test.event", `{}`)
	reqs := make([]*http.Request, 20)
	for i := range reqs {
		reqs[i] = f.request(t, "msg_"+strconv.Itoa(i), body)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for range 20 {
			f.handler.On("test.event", func(context.Context, webhook.Event) error { return nil })
		}
	})
	for _, req := range reqs {
		wg.Go(func() {
			rec := f.serve(req)
			assert.Equal(t, http.StatusOK, rec.Code)
		})
	}
	wg.Wait()
}

func TestHandlerDefaultDedupe(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(_ *webhook.VerifierConfig, h *webhook.HandlerConfig) { h.Dedupe = nil })
	var c counter
	f.handler.On(webhook.EventUserCreated, c.fn)
	body := event(webhook.EventUserCreated, userData)
	assertResponse(t, f.serve(f.request(t, "msg_1", body)), http.StatusOK, respOK)
	assertResponse(t, f.serve(f.request(t, "msg_1", body)), http.StatusOK, respDuplicate)
	assert.EqualValues(t, 1, c.n.Load())
	assert.Zero(t, f.dedupe.Len(), "the fixture's store was not used")
}

func TestNewHandlerRejects(t *testing.T) {
	t.Parallel()
	v := newVerifier(t, webhook.VerifierConfig{Secrets: []string{secretA}, MaxBodyBytes: 1000})
	for name, cfg := range map[string]webhook.HandlerConfig{
		"no verifier":               {},
		"negative TTL":              {Verifier: v, DedupeTTL: -time.Hour},
		"negative lease":            {Verifier: v, ClaimLease: -time.Second},
		"negative body limit":       {Verifier: v, MaxBodyBytes: -1},
		"lease not below TTL":       {Verifier: v, DedupeTTL: time.Hour, ClaimLease: time.Hour},
		"lease above default TTL":   {Verifier: v, ClaimLease: 100 * time.Hour},
		"body limit above verifier": {Verifier: v, MaxBodyBytes: 1001},
	} {
		h, err := webhook.NewHandler(cfg)
		require.ErrorIs(t, err, webhook.ErrInvalidConfig, name)
		assert.Nil(t, h)
	}
	h, err := webhook.NewHandler(webhook.HandlerConfig{Verifier: v, DedupeTTL: time.Hour, ClaimLease: time.Minute, MaxBodyBytes: 1000})
	require.NoError(t, err)
	assert.NotNil(t, h)
}

// Over a real connection on 127.0.0.1: the server path, the body limit
// with chunked encoding, and no secret or signature in any log line.
func TestHandlerOverHTTP(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(v *webhook.VerifierConfig, _ *webhook.HandlerConfig) { v.MaxBodyBytes = 4096 })
	var c counter
	f.handler.On(webhook.EventUserCreated, c.fn)
	srv := httptest.NewServer(f.handler)
	t.Cleanup(srv.Close)

	send := func(req *http.Request, body io.Reader) (*http.Response, string) {
		out, err := http.NewRequest(req.Method, srv.URL+"/webhooks/clerk", body)
		require.NoError(t, err)
		out.Header = req.Header.Clone()
		resp, err := srv.Client().Do(out)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, string(b)
	}
	body := event(webhook.EventUserCreated, userData)
	req := f.request(t, "msg_http", body)
	resp, got := send(req, strings.NewReader(body))
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, respOK, got)

	// A reader hides the length: the client sends chunks.
	big := event(webhook.EventUserCreated, `{"id":"`+strings.Repeat("x", 5000)+`"}`)
	req = f.request(t, "msg_big", big)
	resp, got = send(req, io.MultiReader(strings.NewReader(big)))
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	assert.Equal(t, respTooLarge, got)

	req = f.request(t, "msg_forged", body)
	req.Header.Set("svix-signature", wrongSig)
	resp, got = send(req, strings.NewReader(body))
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, respBadRequest, got)

	assert.EqualValues(t, 1, c.n.Load())
	logs := f.logs.String()
	assert.NotContains(t, logs, strings.TrimPrefix(secretA, "whsec_"))
	assert.NotContains(t, logs, wrongSig[3:])
	assert.NotContains(t, logs, "v1,")
}
