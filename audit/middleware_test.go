package audit_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/audit"
	"github.com/unioneyes/authkit/audit/audittest"
)

// stepClock returns a clock that starts at t0 and advances by step on each
// call.
func stepClock(t0 time.Time, step time.Duration) func() time.Time {
	var mu sync.Mutex
	next := t0
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now := next
		next = next.Add(step)
		return now
	}
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// newAuditor returns audit.New(cfg), failing the test on an error.
func newAuditor(t testing.TB, cfg audit.Config) *audit.Auditor {
	t.Helper()
	a, err := audit.New(cfg)
	require.NoError(t, err)
	return a
}

// middleware returns the audit middleware writing to sink, with the defaults.
func middleware(t testing.TB, sink audit.Sink) func(http.Handler) http.Handler {
	t.Helper()
	return newAuditor(t, audit.Config{Sink: sink}).Handler
}

// record runs req through the audit middleware configured by cfg (its Sink
// replaced by a recorder) in front of h and returns the single record
// written and the response.
func record(t *testing.T, h http.Handler, req *http.Request, cfg ...audit.Config) (audit.Record, *httptest.ResponseRecorder) {
	t.Helper()
	var c audit.Config
	if len(cfg) > 0 {
		c = cfg[0]
	}
	var rec audittest.Recorder
	c.Sink = &rec
	w := httptest.NewRecorder()
	newAuditor(t, c).Handler(h).ServeHTTP(w, req)
	recs := rec.Records()
	require.Len(t, recs, 1)
	return recs[0], w
}

func TestMiddlewareRecordsRequest(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /orgs/{org}/invoices", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"id":"inv_1"}`)
	})
	req := httptest.NewRequest("POST", "/orgs/org_1/invoices?token=sk_live_query&x=1", strings.NewReader("body"))
	req.RemoteAddr = "203.0.113.7:41000"
	req.Header.Set("User-Agent", "test-agent/1.0")
	req.Header.Set("Authorization", "Bearer sk_live_header")
	req.Header.Set("Cookie", "__session=sk_live_cookie")

	got, w := record(t, mux, req, audit.Config{Now: stepClock(t0, 1500*time.Microsecond)})

	want := audit.Record{
		Time:      t0,
		Duration:  1500 * time.Microsecond,
		Method:    "POST",
		Route:     "POST /orgs/{org}/invoices",
		Path:      "/orgs/org_1/invoices",
		Status:    http.StatusCreated,
		Bytes:     int64(len(`{"id":"inv_1"}`)),
		ClientIP:  netip.MustParseAddr("203.0.113.7"),
		PeerAddr:  netip.MustParseAddrPort("203.0.113.7:41000"),
		UserAgent: "test-agent/1.0",
		RequestID: got.RequestID,
	}
	assert.Equal(t, fmt.Sprintf("%+v", want), fmt.Sprintf("%+v", got))
	assert.Len(t, got.RequestID, 22)
	assert.Equal(t, got.RequestID, w.Header().Get("X-Request-Id"))
	assert.Equal(t, http.StatusCreated, w.Code, "response changed")
	assert.Equal(t, `{"id":"inv_1"}`, w.Body.String(), "response changed")
}

func TestMiddlewarePrivacy(t *testing.T) {
	var buf bytes.Buffer
	h := middleware(t, audit.JSONSink(&buf))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		http.SetCookie(w, &http.Cookie{Name: "__session", Value: "sk_live_setcookie"})
		_, _ = io.WriteString(w, "sk_live_respbody")
	}))
	req := httptest.NewRequest("POST", "/login?token=sk_live_query", strings.NewReader("password=sk_live_reqbody"))
	req.Header.Set("Authorization", "Bearer sk_live_header")
	req.Header.Set("Cookie", "__session=sk_live_cookie")
	req.Header.Set("X-Api-Key", "sk_live_apikey")
	h.ServeHTTP(httptest.NewRecorder(), req)

	out := buf.String()
	require.Contains(t, out, `"url.path":"/login"`)
	assert.NotContains(t, out, "sk_live", "audit output leaks request data")
	assert.NotContains(t, out, "token=", "audit output leaks request data")
}

func TestMethodFolding(t *testing.T) {
	for _, tc := range []struct{ method, want string }{
		{"GET", "GET"}, {"HEAD", "HEAD"}, {"POST", "POST"}, {"PUT", "PUT"},
		{"DELETE", "DELETE"}, {"CONNECT", "CONNECT"}, {"OPTIONS", "OPTIONS"},
		{"TRACE", "TRACE"}, {"PATCH", "PATCH"}, {"QUERY", "QUERY"},
		{"get", audit.MethodOther}, {"Post", audit.MethodOther},
		{"PROPFIND", audit.MethodOther}, {"BREW", audit.MethodOther},
		{strings.Repeat("X", 200), audit.MethodOther},
	} {
		t.Run(tc.method[:min(len(tc.method), 10)], func(t *testing.T) {
			req := httptest.NewRequest("GET", "/", nil)
			req.Method = tc.method
			got, _ := record(t, http.NotFoundHandler(), req)
			assert.Equal(t, tc.want, got.Method)
		})
	}
}

func TestPathSnapshot(t *testing.T) {
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.URL.Path = "/mutated" // a handler rewriting the request in place
		r.URL.RawPath = ""
	})
	for _, tc := range []struct {
		name string
		h    http.Handler
	}{
		{"in-place mutation", inner},
		{"StripPrefix", http.StripPrefix("/api", inner)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := record(t, tc.h, httptest.NewRequest("GET", "/api/v1/users", nil))
			assert.Equal(t, "/api/v1/users", got.Path, "the path as received")
		})
	}
}

func TestStatusAndBytes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		h      http.HandlerFunc
		status int
		bytes  int64
	}{
		{"nothing written", func(w http.ResponseWriter, r *http.Request) {}, 200, 0},
		{"write only", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("hello")) }, 200, 5},
		{"WriteString", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "hello!") }, 200, 6},
		{"404", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, 404, 19},
		{"first WriteHeader wins", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusAccepted)
			w.WriteHeader(http.StatusTeapot)
		}, 202, 0},
		{"1xx then final", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(http.StatusCreated)
		}, 201, 0},
		{"101 is final", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusSwitchingProtocols)
		}, 101, 0},
		{"WriteHeader after Write", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte("x"))
			w.WriteHeader(http.StatusInternalServerError)
		}, 200, 1},
		{"flush before header", func(w http.ResponseWriter, r *http.Request) {
			w.(http.Flusher).Flush()
			w.WriteHeader(http.StatusNotFound)
		}, 200, 0},
		{"ResponseController flush", func(w http.ResponseWriter, r *http.Request) {
			assert.NoError(t, http.NewResponseController(w).Flush())
		}, 200, 0},
		{"ReadFrom", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusPartialContent)
			_, _ = io.Copy(w, io.LimitReader(strings.NewReader(strings.Repeat("a", 100)), 64))
		}, 206, 64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := record(t, tc.h, httptest.NewRequest("GET", "/", nil))
			assert.Equal(t, tc.status, got.Status)
			assert.Equal(t, tc.bytes, got.Bytes)
		})
	}
}

// servePanics runs h through the middleware and returns the recovered
// panic value and the records.
func servePanics(t *testing.T, h http.HandlerFunc) (recovered any, recs []audit.Record) {
	t.Helper()
	var rec audittest.Recorder
	func() {
		defer func() { recovered = recover() }()
		middleware(t, &rec)(h).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/boom", nil))
	}()
	return recovered, rec.Records()
}

func TestPanicRecordedThenRepanicked(t *testing.T) {
	type boom struct{ n int }
	v, recs := servePanics(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("partial"))
		panic(boom{42})
	})
	require.Equal(t, boom{42}, v, "re-panicked with the original value")
	require.Len(t, recs, 1)
	r := recs[0]
	assert.Equal(t, 500, r.Status)
	assert.True(t, r.Panicked)
	assert.False(t, r.Aborted)
	assert.EqualValues(t, 7, r.Bytes)
}

func TestPanicErrAbortHandlerUntouched(t *testing.T) {
	for _, tc := range []struct {
		name   string
		write  bool
		status int
	}{
		{"after a response started", true, 200},
		{"before anything was sent", false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, recs := servePanics(t, func(w http.ResponseWriter, r *http.Request) {
				if tc.write {
					_, _ = w.Write([]byte("x"))
				}
				panic(http.ErrAbortHandler)
			})
			require.True(t, v == http.ErrAbortHandler, "re-panicked with %#v, want http.ErrAbortHandler itself", v)
			require.Len(t, recs, 1)
			r := recs[0]
			assert.True(t, r.Aborted)
			assert.False(t, r.Panicked)
			assert.Equal(t, tc.status, r.Status)
		})
	}
}

func (s *retainSink) Write(_ context.Context, r *audit.Record) error {
	s.rec = r
	return nil
}

// errSink fails every write, optionally by panicking.
type errSink struct {
	panics bool
	calls  atomic.Int64
}

var errDisk = errors.New("disk full")

func (s *errSink) Write(context.Context, *audit.Record) error {
	s.calls.Add(1)
	if s.panics {
		panic("sink exploded")
	}
	return errDisk
}

func TestSinkFailureNeverFailsRequest(t *testing.T) {
	for _, tc := range []struct {
		name    string
		panics  bool
		wantLog string
	}{
		{"error", false, "disk full"},
		{"panic", true, "sink panicked: sink exploded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			sink := &errSink{panics: tc.panics}
			a := newAuditor(t, audit.Config{Sink: sink, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			h := a.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusCreated)
				_, _ = io.WriteString(w, "ok")
			}))
			for range 3 {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
				require.Equal(t, http.StatusCreated, w.Code)
				require.Equal(t, "ok", w.Body.String())
			}
			assert.EqualValues(t, 3, a.SinkErrors())
			assert.EqualValues(t, 3, sink.calls.Load())
			assert.Equal(t, 1, strings.Count(logs.String(), "\n"), "exactly one log line: %q", logs.String())
			assert.Contains(t, logs.String(), tc.wantLog)
		})
	}
}

// ctxSink records what the sink's context looks like.
type ctxSink struct {
	err   error
	value any
}

type valueKey struct{}

func (s *ctxSink) Write(ctx context.Context, _ *audit.Record) error {
	s.err, s.value = ctx.Err(), ctx.Value(valueKey{})
	return nil
}

func TestSinkContextKeepsValuesNotCancellation(t *testing.T) {
	sink := &ctxSink{}
	h := middleware(t, sink)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), valueKey{}, "trace-1"))
	cancel() // the client went away
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil).WithContext(ctx))
	assert.NoError(t, sink.err)
	assert.Equal(t, "trace-1", sink.value)
}

func TestNestedMiddlewareRecordsOnce(t *testing.T) {
	var outer, inner audittest.Recorder
	var innerID string
	h := middleware(t, &outer)(middleware(t, &inner)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		innerID = audit.RequestID(r.Context())
	})))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	require.Len(t, outer.Records(), 1)
	require.Empty(t, inner.Records())
	assert.Len(t, w.Header()["X-Request-Id"], 1)
	assert.Equal(t, w.Header().Get("X-Request-Id"), innerID)
}

func TestNilSinkAndNilNext(t *testing.T) {
	w := httptest.NewRecorder()
	middleware(t, nil)(nil).ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	assert.Equal(t, http.StatusNotFound, w.Code, "nil next")
	assert.NoError(t, audit.DiscardSink().Write(context.Background(), &audit.Record{}))
}

// New refuses, naming the field, what could only fail later: an invalid
// request id header name, and a nil pointer behind the Sink or ClientIP
// interface (it would panic on the first request).
func TestNewRejects(t *testing.T) {
	var nilRecorder *audittest.Recorder
	var nilStrategy *nilPeerStrategy
	for _, tc := range []struct {
		cfg   audit.Config
		field string
	}{
		{audit.Config{RequestIDHeader: "bad header"}, "Config.RequestIDHeader"},
		{audit.Config{RequestIDHeader: "X-Id\n"}, "Config.RequestIDHeader"},
		{audit.Config{Sink: nilRecorder}, "Config.Sink"},
		{audit.Config{ClientIP: nilStrategy}, "Config.ClientIP"},
	} {
		a, err := audit.New(tc.cfg)
		require.ErrorIs(t, err, audit.ErrInvalidConfig, tc.field)
		var cerr *audit.ConfigError
		require.ErrorAs(t, err, &cerr)
		assert.Equal(t, tc.field, cerr.Field)
		assert.Equal(t, "audit: invalid config: "+cerr.Field+": "+cerr.Reason, err.Error())
		assert.Nil(t, a)
	}
}

type nilPeerStrategy struct{}

func (*nilPeerStrategy) ClientIP(*http.Request) netip.Addr { return netip.Addr{} }

func TestClientIPInContextAndRecord(t *testing.T) {
	strategy, err := audit.RightmostUntrusted("10.0.0.0/8")
	require.NoError(t, err)
	var inHandler netip.Addr
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inHandler, _ = audit.ClientIP(r.Context())
	})
	for _, tc := range []struct {
		name, remote, xff, want string
	}{
		{"direct client spoofing XFF", "203.0.113.9:5000", "198.51.100.1", "203.0.113.9"},
		{"via trusted proxy", "10.0.0.2:5000", "6.6.6.6, 198.51.100.1", "198.51.100.1"},
		{"via trusted proxy, malformed hop", "10.0.0.2:5000", "198.51.100.1, bogus", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inHandler = netip.Addr{}
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = tc.remote
			req.Header.Set("X-Forwarded-For", tc.xff)
			got, _ := record(t, h, req, audit.Config{ClientIP: strategy})
			want := netip.Addr{}
			if tc.want != "" {
				want = netip.MustParseAddr(tc.want)
			}
			assert.Equal(t, want, got.ClientIP, "record")
			assert.Equal(t, want, inHandler, "context")
			assert.Equal(t, netip.MustParseAddrPort(tc.remote), got.PeerAddr)
		})
	}
}

func TestRedactedKeys(t *testing.T) {
	group := []slog.Attr{slog.String("Password", "p4ss"), slog.String("name", "alice")}
	groupCopy := append([]slog.Attr(nil), group...)
	attrs := []slog.Attr{
		slog.String("authorization", "Bearer sk_live_x"),
		slog.String("app.api_key", "sk_live_y"),
		{Key: "app.user", Value: slog.GroupValue(group...)},
		slog.String("app.tokenizer", "kept"), // "token" is a suffix after ".", not a substring
		slog.String("app.note", "kept"),
	}
	handler := func(w http.ResponseWriter, r *http.Request) { audit.AddAttrs(r.Context(), attrs...) }

	t.Run("default keys", func(t *testing.T) {
		got, _ := record(t, http.HandlerFunc(handler), httptest.NewRequest("GET", "/", nil))
		want := "[authorization=[REDACTED] app.api_key=[REDACTED] app.user=[Password=[REDACTED] name=alice] app.tokenizer=kept app.note=kept]"
		assert.Equal(t, want, fmt.Sprint(got.Attrs))
		assert.Equal(t, fmt.Sprint(groupCopy), fmt.Sprint(group), "redaction modified the caller's group")
	})
	t.Run("custom keys", func(t *testing.T) {
		got, _ := record(t, http.HandlerFunc(handler), httptest.NewRequest("GET", "/", nil), audit.Config{RedactedKeys: []string{"NOTE", "user"}})
		want := "[authorization=Bearer sk_live_x app.api_key=sk_live_y app.user=[REDACTED] app.tokenizer=kept app.note=[REDACTED]]"
		assert.Equal(t, want, fmt.Sprint(got.Attrs))
	})
	t.Run("off", func(t *testing.T) {
		got, _ := record(t, http.HandlerFunc(handler), httptest.NewRequest("GET", "/", nil), audit.Config{RedactedKeys: []string{}})
		assert.NotContains(t, fmt.Sprint(got.Attrs), audit.Redacted, "nothing redacted")
	})
}

func TestPeerAddr(t *testing.T) {
	for _, tc := range []struct {
		remote string
		want   netip.AddrPort
	}{
		{"203.0.113.9:1234", netip.MustParseAddrPort("203.0.113.9:1234")},
		{"[::ffff:203.0.113.9]:1234", netip.MustParseAddrPort("203.0.113.9:1234")},
		{"[fe80::1%eth0]:80", netip.MustParseAddrPort("[fe80::1]:80")},
		{"203.0.113.9", netip.MustParseAddrPort("203.0.113.9:0")},
		{"@", netip.AddrPort{}},
		{"", netip.AddrPort{}},
	} {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = tc.remote
		got, _ := record(t, http.NotFoundHandler(), req)
		assert.Equal(t, tc.want, got.PeerAddr, "RemoteAddr %q", tc.remote)
		assert.Equal(t, tc.want.Addr(), got.ClientIP, "RemoteAddr %q", tc.remote)
	}
}
