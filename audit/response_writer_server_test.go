package audit_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/unioneyes/authkit/audit"
)

// chanSink delivers each record on a channel, so a test can wait for the
// record of a request whose response the client has already seen.
type chanSink chan audit.Record

func (c chanSink) Write(_ context.Context, r *audit.Record) error {
	c <- *r
	return nil
}

func (c chanSink) next(t *testing.T) audit.Record {
	t.Helper()
	select {
	case r := <-c:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no audit record written")
		return audit.Record{}
	}
}

// TestStreamingThroughMiddleware proves that flushes reach the client while
// the handler is still running, through both http.Flusher and
// http.ResponseController, over a real HTTP/1.1 connection.
func TestStreamingThroughMiddleware(t *testing.T) {
	sink := make(chanSink, 1)
	clientGotFirst := make(chan struct{})
	handlerErr := make(chan string, 1)
	srv := httptest.NewServer(audit.Middleware(sink)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := w.(http.Flusher)
		if !ok {
			handlerErr <- "ResponseWriter is not an http.Flusher"
			return
		}
		_, _ = io.WriteString(w, "first\n")
		f.Flush()
		select {
		case <-clientGotFirst: // only possible if the flush went out
		case <-time.After(10 * time.Second):
			handlerErr <- "client never received the flushed chunk"
			return
		}
		_, _ = io.WriteString(w, "second\n")
		if err := http.NewResponseController(w).Flush(); err != nil {
			handlerErr <- "ResponseController.Flush: " + err.Error()
			return
		}
		handlerErr <- ""
	})))
	defer srv.Close()

	resp, err := srv.Client().Get(srv.URL + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	line, err := br.ReadString('\n')
	if err != nil || line != "first\n" {
		t.Fatalf("first chunk = %q, %v", line, err)
	}
	close(clientGotFirst)
	rest, err := io.ReadAll(br)
	if err != nil || string(rest) != "second\n" {
		t.Fatalf("rest = %q, %v", rest, err)
	}
	if msg := <-handlerErr; msg != "" {
		t.Fatal(msg)
	}
	rec := sink.next(t)
	if rec.Status != 200 || rec.Bytes != int64(len("first\nsecond\n")) || rec.Hijacked {
		t.Errorf("record: Status %d Bytes %d Hijacked %v", rec.Status, rec.Bytes, rec.Hijacked)
	}
}

// TestResponseControllerThroughMiddleware checks the methods that
// http.ResponseController finds through Unwrap.
func TestResponseControllerThroughMiddleware(t *testing.T) {
	errs := make(chan error, 4)
	srv := httptest.NewServer(audit.Middleware(nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		errs <- rc.SetWriteDeadline(time.Now().Add(time.Minute))
		errs <- rc.SetReadDeadline(time.Now().Add(time.Minute))
		errs <- rc.EnableFullDuplex()
		errs <- rc.Flush()
	})))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, name := range []string{"SetWriteDeadline", "SetReadDeadline", "EnableFullDuplex", "Flush"} {
		if err := <-errs; err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestReaderFromThroughMiddleware(t *testing.T) {
	sink := make(chanSink, 1)
	const n = 1 << 16
	srv := httptest.NewServer(audit.Middleware(sink)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := w.(io.ReaderFrom); !ok {
			http.Error(w, "not an io.ReaderFrom", http.StatusInternalServerError)
			return
		}
		// LimitedReader has no WriteTo, so io.Copy uses w.ReadFrom.
		_, _ = io.Copy(w, io.LimitReader(strings.NewReader(strings.Repeat("z", n+10)), n))
	})))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(body) != n {
		t.Fatalf("response %d with %d bytes, want 200 with %d", resp.StatusCode, len(body), n)
	}
	if rec := sink.next(t); rec.Bytes != n || rec.Status != 200 {
		t.Errorf("record: Status %d Bytes %d, want 200 %d", rec.Status, rec.Bytes, n)
	}
}

func TestHijackThroughMiddleware(t *testing.T) {
	for _, tc := range []struct {
		name   string
		hijack func(http.ResponseWriter) (net.Conn, *bufio.ReadWriter, error)
	}{
		{"http.Hijacker", func(w http.ResponseWriter) (net.Conn, *bufio.ReadWriter, error) {
			hj, ok := w.(http.Hijacker)
			if !ok {
				return nil, nil, http.ErrNotSupported
			}
			return hj.Hijack()
		}},
		{"ResponseController", func(w http.ResponseWriter) (net.Conn, *bufio.ReadWriter, error) {
			return http.NewResponseController(w).Hijack()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := make(chanSink, 1)
			srv := httptest.NewServer(audit.Middleware(sink)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				conn, brw, err := tc.hijack(w)
				if err != nil {
					http.Error(w, err.Error(), http.StatusInternalServerError)
					return
				}
				defer conn.Close()
				_, _ = brw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nhijacked")
				_ = brw.Flush()
			})))
			defer srv.Close()

			resp, err := srv.Client().Get(srv.URL + "/ws")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(body) != "hijacked" {
				t.Fatalf("body = %q (status %d), want the raw hijacked response", body, resp.StatusCode)
			}
			rec := sink.next(t)
			if !rec.Hijacked || rec.Status != 0 || rec.Bytes != 0 {
				t.Errorf("record: Hijacked %v Status %d Bytes %d; want true 0 0", rec.Hijacked, rec.Status, rec.Bytes)
			}
		})
	}
}

// TestHTTP2ThroughMiddleware checks that over HTTP/2 the wrapper offers
// what the HTTP/2 writer offers (Flusher, Pusher) and not what it lacks
// (Hijacker).
func TestHTTP2ThroughMiddleware(t *testing.T) {
	sink := make(chanSink, 1)
	type caps struct{ flusher, hijacker, pusher bool }
	got := make(chan caps, 1)
	srv := httptest.NewUnstartedServer(audit.Middleware(sink)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, f := w.(http.Flusher)
		_, h := w.(http.Hijacker)
		_, p := w.(http.Pusher)
		got <- caps{f, h, p}
		_, _ = io.WriteString(w, "h2")
		_ = http.NewResponseController(w).Flush()
	})))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()

	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Fatalf("protocol %s, want HTTP/2", resp.Proto)
	}
	if c := <-got; !c.flusher || c.hijacker || !c.pusher {
		t.Errorf("HTTP/2 writer through middleware: %+v; want Flusher and Pusher, no Hijacker", c)
	}
	if rec := sink.next(t); rec.Status != 200 || rec.Bytes != 2 {
		t.Errorf("record: Status %d Bytes %d", rec.Status, rec.Bytes)
	}
}
