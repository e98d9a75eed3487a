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

// record runs req through audit.Middleware(rec, opts...)(h) and returns the
// single record written and the response.
func record(t *testing.T, h http.Handler, req *http.Request, opts ...audit.Option) (audit.Record, *httptest.ResponseRecorder) {
	t.Helper()
	var rec audittest.Recorder
	w := httptest.NewRecorder()
	audit.Middleware(&rec, opts...)(h).ServeHTTP(w, req)
	recs := rec.Records()
	if len(recs) != 1 {
		t.Fatalf("got %d records, want 1", len(recs))
	}
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

	got, w := record(t, mux, req, audit.WithNow(stepClock(t0, 1500*time.Microsecond)))

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
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Errorf("record\n got %+v\nwant %+v", got, want)
	}
	if len(got.RequestID) != 22 {
		t.Errorf("request id %q: want 22 characters", got.RequestID)
	}
	if h := w.Header().Get("X-Request-Id"); h != got.RequestID {
		t.Errorf("X-Request-Id = %q, want %q", h, got.RequestID)
	}
	if w.Code != http.StatusCreated || w.Body.String() != `{"id":"inv_1"}` {
		t.Errorf("response changed: %d %q", w.Code, w.Body.String())
	}
}

func TestMiddlewarePrivacy(t *testing.T) {
	var buf bytes.Buffer
	h := audit.Middleware(audit.JSONSink(&buf))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
	if !strings.Contains(out, `"url.path":"/login"`) {
		t.Fatalf("path missing from %s", out)
	}
	if strings.Contains(out, "sk_live") || strings.Contains(out, "token=") {
		t.Errorf("audit output leaks request data: %s", out)
	}
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
			if got.Method != tc.want {
				t.Errorf("Method = %q, want %q", got.Method, tc.want)
			}
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
			if got.Path != "/api/v1/users" {
				t.Errorf("Path = %q, want the path as received", got.Path)
			}
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
			if err := http.NewResponseController(w).Flush(); err != nil {
				t.Errorf("Flush: %v", err)
			}
		}, 200, 0},
		{"ReadFrom", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusPartialContent)
			_, _ = io.Copy(w, io.LimitReader(strings.NewReader(strings.Repeat("a", 100)), 64))
		}, 206, 64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := record(t, tc.h, httptest.NewRequest("GET", "/", nil))
			if got.Status != tc.status || got.Bytes != tc.bytes {
				t.Errorf("Status, Bytes = %d, %d; want %d, %d", got.Status, got.Bytes, tc.status, tc.bytes)
			}
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
		audit.Middleware(&rec)(h).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/boom", nil))
	}()
	return recovered, rec.Records()
}

func TestPanicRecordedThenRepanicked(t *testing.T) {
	type boom struct{ n int }
	v, recs := servePanics(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("partial"))
		panic(boom{42})
	})
	if v != (boom{42}) {
		t.Fatalf("re-panicked with %#v, want the original value", v)
	}
	if len(recs) != 1 {
		t.Fatalf("got %d records, want 1", len(recs))
	}
	if r := recs[0]; r.Status != 500 || !r.Panicked || r.Aborted || r.Bytes != 7 {
		t.Errorf("record: Status %d Panicked %v Aborted %v Bytes %d; want 500 true false 7", r.Status, r.Panicked, r.Aborted, r.Bytes)
	}
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
			if v != http.ErrAbortHandler {
				t.Fatalf("re-panicked with %#v, want http.ErrAbortHandler itself", v)
			}
			if len(recs) != 1 {
				t.Fatalf("got %d records, want 1", len(recs))
			}
			if r := recs[0]; !r.Aborted || r.Panicked || r.Status != tc.status {
				t.Errorf("record: Aborted %v Panicked %v Status %d; want true false %d", r.Aborted, r.Panicked, r.Status, tc.status)
			}
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
			a, err := audit.New(sink, audit.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			if err != nil {
				t.Fatal(err)
			}
			h := a.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusCreated)
				_, _ = io.WriteString(w, "ok")
			}))
			for range 3 {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
				if w.Code != http.StatusCreated || w.Body.String() != "ok" {
					t.Fatalf("response = %d %q, want 201 ok", w.Code, w.Body.String())
				}
			}
			if n := a.SinkErrors(); n != 3 || sink.calls.Load() != 3 {
				t.Errorf("SinkErrors = %d (calls %d), want 3", n, sink.calls.Load())
			}
			if strings.Count(logs.String(), "\n") != 1 || !strings.Contains(logs.String(), tc.wantLog) {
				t.Errorf("logs = %q, want exactly one line mentioning %q", logs.String(), tc.wantLog)
			}
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
	h := audit.Middleware(sink)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), valueKey{}, "trace-1"))
	cancel() // the client went away
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil).WithContext(ctx))
	if sink.err != nil || sink.value != "trace-1" {
		t.Errorf("sink context: err %v, value %v; want nil, trace-1", sink.err, sink.value)
	}
}

func TestNestedMiddlewareRecordsOnce(t *testing.T) {
	var outer, inner audittest.Recorder
	var innerID string
	h := audit.Middleware(&outer)(audit.Middleware(&inner)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		innerID = audit.RequestID(r.Context())
	})))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if len(outer.Records()) != 1 || len(inner.Records()) != 0 {
		t.Fatalf("records: outer %d, inner %d; want 1, 0", len(outer.Records()), len(inner.Records()))
	}
	if len(w.Header()["X-Request-Id"]) != 1 || innerID != w.Header().Get("X-Request-Id") {
		t.Errorf("request id header %v, handler saw %q", w.Header()["X-Request-Id"], innerID)
	}
}

func TestNilSinkAndNilNext(t *testing.T) {
	w := httptest.NewRecorder()
	audit.Middleware(nil)(nil).ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != http.StatusNotFound {
		t.Errorf("nil next: status %d, want 404", w.Code)
	}
	if err := audit.DiscardSink().Write(context.Background(), &audit.Record{}); err != nil {
		t.Errorf("DiscardSink: %v", err)
	}
}

func TestClientIPInContextAndRecord(t *testing.T) {
	strategy := audit.MustRightmostUntrusted("10.0.0.0/8")
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
			got, _ := record(t, h, req, audit.WithClientIP(strategy))
			want := netip.Addr{}
			if tc.want != "" {
				want = netip.MustParseAddr(tc.want)
			}
			if got.ClientIP != want || inHandler != want {
				t.Errorf("ClientIP: record %v, context %v; want %v", got.ClientIP, inHandler, want)
			}
			if got.PeerAddr != netip.MustParseAddrPort(tc.remote) {
				t.Errorf("PeerAddr = %v, want %v", got.PeerAddr, tc.remote)
			}
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
		if s := fmt.Sprint(got.Attrs); s != want {
			t.Errorf("Attrs = %s\nwant    %s", s, want)
		}
		if fmt.Sprint(group) != fmt.Sprint(groupCopy) {
			t.Errorf("redaction modified the caller's group: %v", group)
		}
	})
	t.Run("custom keys", func(t *testing.T) {
		got, _ := record(t, http.HandlerFunc(handler), httptest.NewRequest("GET", "/", nil), audit.WithRedactedKeys("NOTE", "user"))
		want := "[authorization=Bearer sk_live_x app.api_key=sk_live_y app.user=[REDACTED] app.tokenizer=kept app.note=[REDACTED]]"
		if s := fmt.Sprint(got.Attrs); s != want {
			t.Errorf("Attrs = %s\nwant    %s", s, want)
		}
	})
	t.Run("off", func(t *testing.T) {
		got, _ := record(t, http.HandlerFunc(handler), httptest.NewRequest("GET", "/", nil), audit.WithRedactedKeys())
		if s := fmt.Sprint(got.Attrs); strings.Contains(s, audit.Redacted) {
			t.Errorf("Attrs = %s, want nothing redacted", s)
		}
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
		if got.PeerAddr != tc.want {
			t.Errorf("RemoteAddr %q: PeerAddr %v, want %v", tc.remote, got.PeerAddr, tc.want)
		}
		if want := tc.want.Addr(); got.ClientIP != want {
			t.Errorf("RemoteAddr %q: ClientIP %v, want %v", tc.remote, got.ClientIP, want)
		}
	}
}
