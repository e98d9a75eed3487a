package webhook_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/clerkauth/memstore"
	"github.com/unioneyes/authkit/clerkauth/store"
	"github.com/unioneyes/authkit/orgctx"
	"github.com/unioneyes/authkit/webhook"
)

const (
	respOK         = `{"status":"ok"}` + "\n"
	respDuplicate  = `{"status":"duplicate"}` + "\n"
	respIgnored    = `{"status":"ignored"}` + "\n"
	respBadRequest = `{"error":"invalid_request","detail":"bad request"}` + "\n"
	respTooLarge   = `{"error":"content_too_large","detail":"request body too large"}` + "\n"
	respMethod     = `{"error":"method_not_allowed","detail":"method not allowed"}` + "\n"
	respConflict   = `{"error":"conflict","detail":"message is being processed, retry later"}` + "\n"
	respInternal   = `{"error":"internal_error","detail":"internal error"}` + "\n"
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
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	assert.Empty(t, rec.Header().Values("WWW-Authenticate"), "Svix sends no bearer credentials: no challenge")
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
	// Three rejections at one instant: one line (TestHandlerRejectionLogsRateLimited).
	assert.Len(t, f.logs.records(t, "webhook: request body too large"), 1)
}

// firstReadBody records the size of the buffer of the first Read, then
// delivers its bytes.
type firstReadBody struct {
	r        io.Reader
	firstLen int
	reads    int
}

func (b *firstReadBody) Read(p []byte) (int, error) {
	if b.reads == 0 {
		b.firstLen = len(p)
	}
	b.reads++
	return b.r.Read(p)
}

func (b *firstReadBody) Close() error { return nil }

// A declared Content-Length is not allocated before the bytes arrive: an
// idle connection declaring 1 MiB costs at most the initial buffer.
func TestHandlerBodyBufferGrowsWithData(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	var c counter
	f.handler.On("test.event", c.fn)

	t.Run("a lying Content-Length", func(t *testing.T) {
		req := f.request(t, "msg_small", event("test.event", `{"id":"x"}`))
		body := &firstReadBody{r: req.Body}
		req.Body, req.ContentLength = body, webhook.DefaultMaxBodyBytes
		assertResponse(t, f.serve(req), http.StatusOK, respOK)
		assert.LessOrEqual(t, body.firstLen, 64<<10+1, "initial buffer")
		assert.Positive(t, body.firstLen)
	})
	t.Run("a large honest body", func(t *testing.T) {
		big := event("test.event", `{"id":"x","pad":"`+strings.Repeat("p", 900<<10)+`"}`)
		req := f.request(t, "msg_big", big)
		body := &firstReadBody{r: req.Body}
		req.Body = body
		require.EqualValues(t, len(big), req.ContentLength)
		assertResponse(t, f.serve(req), http.StatusOK, respOK)
		assert.LessOrEqual(t, body.firstLen, 64<<10+1, "initial buffer")
	})
	t.Run("no Content-Length", func(t *testing.T) {
		big := event("test.event", `{"id":"x","pad":"`+strings.Repeat("p", 200<<10)+`"}`)
		req := f.request(t, "msg_chunked", big)
		req.ContentLength = -1
		assertResponse(t, f.serve(req), http.StatusOK, respOK)
	})
	assert.EqualValues(t, 3, c.n.Load())
}

// The heap cost of a request whose body never arrives, measured: far
// below the declared size.
func TestHandlerBodyAllocationBounded(t *testing.T) {
	f := newFixture(t, nil)
	f.handler.On("test.event", func(context.Context, webhook.Event) error { return nil })
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	const n = 20
	for i := range n {
		req := f.request(t, "msg_"+strconv.Itoa(i), "")
		req.Body, req.ContentLength = io.NopCloser(iotest.ErrReader(io.ErrUnexpectedEOF)), webhook.DefaultMaxBodyBytes
		assertResponse(t, f.serve(req), http.StatusBadRequest, respBadRequest)
	}
	runtime.ReadMemStats(&after)
	perRequest := (after.TotalAlloc - before.TotalAlloc) / n
	assert.Less(t, perRequest, uint64(128<<10), "bytes allocated per request declaring 1 MiB and sending nothing")
	recs := f.logs.records(t, "webhook: reading request body failed")
	require.Len(t, recs, 1, "rate-limited like every rejection")
	assert.EqualValues(t, 0, recs[0]["suppressed"])
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
		{"signature header too long", func(_ *fixture, r *http.Request) {
			r.Header.Set("svix-signature", strings.Repeat(wrongSig+" ", webhook.MaxSignatureHeaderBytes/48)+r.Header.Get("svix-signature"))
		}, webhook.ErrInvalidHeaders},
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

	r, err := f.dedupe.Claim(context.Background(), "msg_typed", "test", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, store.ClaimDone, r, "the message was marked done")
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
			panic("boom")
		}
		return nil
	})
	body := event(webhook.EventUserUpdated, userData)
	assertResponse(t, f.serve(f.request(t, "msg_panic", body)), http.StatusInternalServerError, respInternal)
	recs := f.logs.records(t, "webhook: event handler panicked")
	require.Len(t, recs, 1)
	assert.Contains(t, recs[0]["panic"], "boom")
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
	r, err := f.dedupe.Claim(context.Background(), "msg_busy", "another delivery", time.Minute)
	require.NoError(t, err)
	require.Equal(t, store.ClaimAcquired, r)
	body := event(webhook.EventUserCreated, userData)
	rec := f.serve(f.request(t, "msg_busy", body))
	assertResponse(t, rec, http.StatusConflict, respConflict)
	assert.Equal(t, "120", rec.Header().Get("Retry-After"), "the claim lease, in seconds")
	assert.Zero(t, c.n.Load())
	// The default lease (2 min) of a crashed delivery expires.
	f.clock.Advance(2 * time.Minute)
	assertResponse(t, f.serve(f.request(t, "msg_busy", body)), http.StatusOK, respOK)
	assert.EqualValues(t, 1, c.n.Load())
}

// A delivery whose lease expired while its functions ran (A) must not,
// when it then fails, delete the claim of the delivery that took the id
// over (B): a third delivery (C) overlapping B is answered 409 and runs
// nothing, so the functions never run twice at once.
func TestHandlerStaleReleaseKeepsNewClaim(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	var (
		calls   atomic.Int64
		started = make(chan int64, 10)
		finish  = [2]chan error{make(chan error), make(chan error)}
	)
	f.handler.On(webhook.EventUserUpdated, func(context.Context, webhook.Event) error {
		n := calls.Add(1)
		started <- n
		if n > 2 {
			return nil // a third run must not happen; it does not block
		}
		return <-finish[n-1]
	})
	body := event(webhook.EventUserUpdated, userData)
	serveAsync := func() <-chan *httptest.ResponseRecorder {
		req := f.request(t, "msg_lease", body)
		out := make(chan *httptest.ResponseRecorder, 1)
		go func() { out <- f.serve(req) }()
		return out
	}

	a := serveAsync()
	require.EqualValues(t, 1, <-started)
	f.clock.Advance(webhook.DefaultClaimLease + time.Second) // A's lease expires; A still runs
	b := serveAsync()
	require.EqualValues(t, 2, <-started, "B took the expired claim over")

	finish[0] <- errors.New("A failed")
	assertResponse(t, <-a, http.StatusInternalServerError, respInternal)

	// C, while B still runs: B's claim survived A's release.
	rec := f.serve(f.request(t, "msg_lease", body))
	assertResponse(t, rec, http.StatusConflict, respConflict)
	assert.EqualValues(t, 2, calls.Load(), "delivery C ran the function while B held the claim")

	finish[1] <- nil
	assertResponse(t, <-b, http.StatusOK, respOK)
	assertResponse(t, f.serve(f.request(t, "msg_lease", body)), http.StatusOK, respDuplicate)
	assert.EqualValues(t, 2, calls.Load())
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
	claim                  store.ClaimResult
	claimErr               error
	doneErr, releaseErr    error
	mu                     sync.Mutex
	claims, dones, release int
	owners, releasedBy     []string // the owners passed to Claim and Release
}

func (d *fakeDedupe) Claim(_ context.Context, _, owner string, _ time.Duration) (store.ClaimResult, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.claims++
	d.owners = append(d.owners, owner)
	return d.claim, d.claimErr
}

func (d *fakeDedupe) Done(context.Context, string, time.Duration) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.dones++
	return d.doneErr
}

func (d *fakeDedupe) Release(_ context.Context, _, owner string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.release++
	d.releasedBy = append(d.releasedBy, owner)
	return d.releaseErr
}

func TestHandlerDedupeFailures(t *testing.T) {
	t.Parallel()
	body := event(webhook.EventUserCreated, userData)
	withStore := func(d store.Dedupe) func(*webhook.VerifierConfig, *webhook.HandlerConfig) {
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
		d := &fakeDedupe{claim: store.ClaimResult(0)}
		f := newFixture(t, withStore(d))
		var c counter
		f.handler.On(webhook.EventUserCreated, c.fn)
		assertResponse(t, f.serve(f.request(t, "msg_1", body)), http.StatusInternalServerError, respInternal)
		assert.Zero(t, c.n.Load())
	})
	t.Run("done error still acknowledges", func(t *testing.T) {
		t.Parallel()
		d := &fakeDedupe{claim: store.ClaimAcquired, doneErr: errors.New("redis: timeout")}
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
		d := &fakeDedupe{claim: store.ClaimAcquired, releaseErr: errors.New("redis: timeout")}
		f := newFixture(t, withStore(d))
		f.handler.On(webhook.EventUserCreated, func(context.Context, webhook.Event) error { return errors.New("boom") })
		assertResponse(t, f.serve(f.request(t, "msg_1", body)), http.StatusInternalServerError, respInternal)
		assert.Equal(t, 1, d.release)
		assert.Zero(t, d.dones)
		require.Len(t, f.logs.records(t, "webhook: releasing dedupe claim failed; retries wait for the lease to expire"), 1)
	})
	t.Run("each delivery releases under its own random owner", func(t *testing.T) {
		t.Parallel()
		d := &fakeDedupe{claim: store.ClaimAcquired}
		f := newFixture(t, withStore(d))
		f.handler.On(webhook.EventUserCreated, func(context.Context, webhook.Event) error { return errors.New("boom") })
		for range 3 {
			assertResponse(t, f.serve(f.request(t, "msg_1", body)), http.StatusInternalServerError, respInternal)
		}
		require.Len(t, d.owners, 3)
		assert.Equal(t, d.owners, d.releasedBy, "Release names the owner that claimed")
		for i, o := range d.owners {
			assert.GreaterOrEqual(t, len(o), 16, "an unguessable token")
			for _, other := range d.owners[:i] {
				assert.NotEqual(t, other, o)
			}
		}
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

func (d *ctxCheckingDedupe) Claim(context.Context, string, string, time.Duration) (store.ClaimResult, error) {
	return store.ClaimAcquired, nil
}
func (d *ctxCheckingDedupe) Done(context.Context, string, time.Duration) error { return nil }
func (d *ctxCheckingDedupe) Release(ctx context.Context, _, _ string) error {
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

// A function that finds the payload malformed does not stop the chain:
// the functions after it still run (a user function registered after
// Sync still sees a membership Sync cannot apply). The message is then
// acknowledged: "ok" if any function succeeded, "ignored" if none did.
// A real error after it still fails the delivery.
func TestHandlerMalformedDoesNotStopChain(t *testing.T) {
	t.Parallel()
	malformed := func(context.Context, webhook.Event) error {
		return fmt.Errorf("no user id: %w", webhook.ErrMalformedPayload)
	}
	body := event(webhook.EventUserCreated, userData)

	t.Run("later functions run", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, nil)
		var order []string
		f.handler.On(webhook.EventUserCreated, func(ctx context.Context, e webhook.Event) error {
			order = append(order, "a")
			return malformed(ctx, e)
		})
		f.handler.On(webhook.EventUserCreated, func(context.Context, webhook.Event) error { order = append(order, "b"); return nil })
		assertResponse(t, f.serve(f.request(t, "msg_1", body)), http.StatusOK, respOK)
		assert.Equal(t, []string{"a", "b"}, order)
		recs := f.logs.records(t, "webhook: event payload cannot be processed; acknowledged without retry")
		require.Len(t, recs, 1)
		assert.Contains(t, recs[0]["error"], "no user id")
		assertResponse(t, f.serve(f.request(t, "msg_1", body)), http.StatusOK, respDuplicate)
	})
	t.Run("every function malformed", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, nil)
		f.handler.On(webhook.EventUserCreated, malformed)
		f.handler.On(webhook.EventUserCreated, malformed)
		assertResponse(t, f.serve(f.request(t, "msg_1", body)), http.StatusOK, respIgnored)
		assert.Len(t, f.logs.records(t, "webhook: event payload cannot be processed; acknowledged without retry"), 2)
	})
	t.Run("an error after a malformed payload is retried", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, nil)
		var c counter
		fail := true
		f.handler.On(webhook.EventUserCreated, malformed)
		f.handler.On(webhook.EventUserCreated, func(ctx context.Context, e webhook.Event) error {
			if fail {
				return errors.New("database down")
			}
			return c.fn(ctx, e)
		})
		assertResponse(t, f.serve(f.request(t, "msg_1", body)), http.StatusInternalServerError, respInternal)
		fail = false
		assertResponse(t, f.serve(f.request(t, "msg_1", body)), http.StatusOK, respOK)
		assert.EqualValues(t, 1, c.n.Load())
	})
	t.Run("through Sync and a typed function", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, nil)
		mem := memstore.New(memstore.Config{})
		require.NoError(t, f.handler.Sync(webhook.SyncConfig{Orgs: mem}))
		var got *webhook.Membership
		f.handler.OnMembershipCreated(func(_ context.Context, _ webhook.Event, m *webhook.Membership) error {
			got = m
			return nil
		})
		noUser := event(webhook.EventMembershipCreated, `{"id":"orgmem_1","role":"org:member","organization":{"id":"org_1"},"public_user_data":{}}`)
		assertResponse(t, f.serve(f.request(t, "msg_1", noUser)), http.StatusOK, respOK)
		require.NotNil(t, got, "the user's function ran after Sync's")
		assert.Equal(t, "orgmem_1", got.ID)
	})
}

// Failed verifications are logged at most once per 10 s of the Verifier's
// clock, with the number of lines left out since the last one: a flood of
// forged requests cannot flood the logs. So are bodies refused for their
// size, before verification.
func TestHandlerRejectionLogsRateLimited(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(v *webhook.VerifierConfig, _ *webhook.HandlerConfig) { v.MaxBodyBytes = 1024 })
	forged := func() *http.Request {
		req := f.request(t, "msg_1", event(webhook.EventUserCreated, userData))
		req.Header.Set("svix-signature", wrongSig)
		return req
	}
	tooLarge := func() *http.Request {
		return f.request(t, "msg_2", event("x", `{"pad":"`+strings.Repeat("p", 2000)+`"}`))
	}
	const verifyMsg, sizeMsg = "webhook: verification failed", "webhook: request body too large"
	for range 50 {
		assertResponse(t, f.serve(forged()), http.StatusBadRequest, respBadRequest)
		assertResponse(t, f.serve(tooLarge()), http.StatusRequestEntityTooLarge, respTooLarge)
	}
	require.Len(t, f.logs.records(t, verifyMsg), 1)
	require.Len(t, f.logs.records(t, sizeMsg), 1)
	assert.EqualValues(t, 0, f.logs.records(t, verifyMsg)[0]["suppressed"])

	f.clock.Advance(9 * time.Second)
	assertResponse(t, f.serve(forged()), http.StatusBadRequest, respBadRequest)
	require.Len(t, f.logs.records(t, verifyMsg), 1, "still within 10 s")

	f.clock.Advance(time.Second)
	assertResponse(t, f.serve(forged()), http.StatusBadRequest, respBadRequest)
	assertResponse(t, f.serve(tooLarge()), http.StatusRequestEntityTooLarge, respTooLarge)
	recs := f.logs.records(t, verifyMsg)
	require.Len(t, recs, 2)
	assert.EqualValues(t, 50, recs[1]["suppressed"], "49 left out in the first window, 1 in the second")
	assert.Contains(t, recs[1]["error"], "no matching signature")
	sizeRecs := f.logs.records(t, sizeMsg)
	require.Len(t, sizeRecs, 2)
	assert.EqualValues(t, 49, sizeRecs[1]["suppressed"])
}

// A function panicking with http.ErrAbortHandler (the way to abort a
// response) releases the claim, so that Svix's retry runs the functions
// again, and the panic goes on to net/http, which drops the connection.
func TestHandlerAbortHandlerPanic(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	var calls atomic.Int64
	f.handler.On(webhook.EventUserUpdated, func(context.Context, webhook.Event) error {
		if calls.Add(1) == 1 {
			panic(http.ErrAbortHandler)
		}
		return nil
	})
	body := event(webhook.EventUserUpdated, userData)
	rec := httptest.NewRecorder()
	var recovered any
	func() {
		defer func() { recovered = recover() }()
		f.handler.ServeHTTP(rec, f.request(t, "msg_abort", body))
	}()
	require.Equal(t, http.ErrAbortHandler, recovered, "ServeHTTP re-panics with http.ErrAbortHandler")
	assert.False(t, rec.Flushed)
	assert.Empty(t, rec.Body.String(), "no answer was written")
	assert.Empty(t, f.logs.records(t, "webhook: event handler panicked"), "not logged as a crash")

	f.clock.Advance(5 * time.Second)
	assertResponse(t, f.serve(f.request(t, "msg_abort", body)), http.StatusOK, respOK)
	assert.EqualValues(t, 2, calls.Load(), "the claim was released")

	t.Run("over HTTP", func(t *testing.T) {
		srv := httptest.NewServer(f.handler)
		t.Cleanup(srv.Close)
		calls.Store(0)
		req := f.request(t, "msg_abort_http", body)
		out, err := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(body))
		require.NoError(t, err)
		out.Header = req.Header.Clone()
		_, err = srv.Client().Do(out)
		require.Error(t, err, "the connection was dropped")
	})
}

// A registration that can never work panics, as http.ServeMux's do, and registers
// nothing.
func TestHandlerOnPanicsOnBadRegistrations(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	assert.PanicsWithValue(t, "webhook: On: empty event type", func() {
		f.handler.On("", func(context.Context, webhook.Event) error { return nil })
	})
	assert.PanicsWithValue(t, "webhook: On: nil function for user.created", func() { f.handler.On(webhook.EventUserCreated, nil) })
	assert.PanicsWithValue(t, "webhook: On: nil function for user.created", func() { f.handler.OnUserCreated(nil) })
	assert.PanicsWithValue(t, "webhook: On: nil function for organizationMembership.deleted", func() { f.handler.OnMembershipDeleted(nil) })
	assert.PanicsWithValue(t, "webhook: On: nil function for session.created", func() { f.handler.OnSession(nil) })
	assertResponse(t, f.serve(f.request(t, "msg_1", event(webhook.EventUserCreated, userData))), http.StatusOK, respIgnored)
	assertResponse(t, f.serve(f.request(t, "msg_2", event(webhook.EventSessionCreated, `{"id":"sess_1"}`))), http.StatusOK, respIgnored)
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
	var nilDedupe *webhook.MemoryDedupe
	for name, tc := range map[string]struct {
		cfg   webhook.HandlerConfig
		field string
	}{
		"no verifier":               {webhook.HandlerConfig{}, "HandlerConfig.Verifier"},
		"nil dedupe pointer":        {webhook.HandlerConfig{Verifier: v, Dedupe: nilDedupe}, "HandlerConfig.Dedupe"},
		"negative TTL":              {webhook.HandlerConfig{Verifier: v, DedupeTTL: -time.Hour}, "HandlerConfig.DedupeTTL"},
		"negative lease":            {webhook.HandlerConfig{Verifier: v, ClaimLease: -time.Second}, "HandlerConfig.ClaimLease"},
		"negative body limit":       {webhook.HandlerConfig{Verifier: v, MaxBodyBytes: -1}, "HandlerConfig.MaxBodyBytes"},
		"lease not below TTL":       {webhook.HandlerConfig{Verifier: v, DedupeTTL: time.Hour, ClaimLease: time.Hour}, "HandlerConfig.ClaimLease"},
		"lease above default TTL":   {webhook.HandlerConfig{Verifier: v, ClaimLease: 100 * time.Hour}, "HandlerConfig.ClaimLease"},
		"body limit above verifier": {webhook.HandlerConfig{Verifier: v, MaxBodyBytes: 1001}, "HandlerConfig.MaxBodyBytes"},
	} {
		h, err := webhook.NewHandler(tc.cfg)
		require.ErrorIs(t, err, webhook.ErrInvalidConfig, name)
		var cerr *webhook.ConfigError
		require.ErrorAs(t, err, &cerr, name)
		assert.Equal(t, tc.field, cerr.Field, name)
		assert.Equal(t, "webhook: invalid config: "+cerr.Field+": "+cerr.Reason, err.Error())
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

// HandlerConfig.OnFailure writes every refusal: it gets the status, the code, the
// generic detail, the reason in Err, the lease as RetryAfter for a 409, and no realm.
func TestHandlerOnFailure(t *testing.T) {
	t.Parallel()
	var got []orgctx.Failure
	f := newFixture(t, func(v *webhook.VerifierConfig, h *webhook.HandlerConfig) {
		v.MaxBodyBytes = 4096
		h.OnFailure = func(w http.ResponseWriter, r *http.Request, f orgctx.Failure) {
			got = append(got, f)
			orgctx.WriteFailure(w, r, f)
		}
	})
	failing := errors.New("database down")
	f.handler.On(webhook.EventUserCreated, func(context.Context, webhook.Event) error { return failing })
	body := event(webhook.EventUserCreated, userData)
	_, err := f.dedupe.Claim(context.Background(), "msg_busy", "another delivery", time.Minute)
	require.NoError(t, err)

	get := f.request(t, "msg_1", body)
	get.Method = http.MethodGet
	forged := f.request(t, "msg_1", body)
	forged.Header.Set("svix-signature", "v1,"+strings.Repeat("A", 44))
	for _, tc := range []struct {
		req    *http.Request
		status int
		code   string
		err    error
	}{
		{get, 405, orgctx.CodeMethodNotAllowed, nil},
		{forged, 400, orgctx.CodeInvalidRequest, webhook.ErrNoMatchingSignature},
		{f.request(t, "msg_big", strings.Repeat("x", 4097)), 413, orgctx.CodeContentTooLarge, webhook.ErrBodyTooLarge},
		{f.request(t, "msg_busy", body), 409, orgctx.CodeConflict, nil},
		{f.request(t, "msg_fail", body), 500, orgctx.CodeInternal, failing},
	} {
		got = nil
		rec := f.serve(tc.req)
		require.Len(t, got, 1, "status %d", tc.status)
		fl := got[0]
		assert.Equal(t, tc.status, fl.Status)
		assert.Equal(t, tc.code, fl.Code)
		assert.NotEmpty(t, fl.Detail)
		assert.Empty(t, fl.Realm)
		require.Error(t, fl.Err)
		if tc.err != nil {
			assert.ErrorIs(t, fl.Err, tc.err)
		}
		assert.Equal(t, tc.status, rec.Code)
		assert.Empty(t, rec.Header().Values("WWW-Authenticate"))
		if tc.status == http.StatusConflict {
			assert.Equal(t, 2*time.Minute, fl.RetryAfter)
			assert.Equal(t, "120", rec.Header().Get("Retry-After"))
		} else {
			assert.Zero(t, fl.RetryAfter)
		}
	}
}
