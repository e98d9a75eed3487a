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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
		require.FailNow(t, "no audit record written")
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
	srv := httptest.NewServer(middleware(t, sink)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
	require.NoError(t, err)
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	line, err := br.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "first\n", line, "the first chunk")
	close(clientGotFirst)
	rest, err := io.ReadAll(br)
	require.NoError(t, err)
	require.Equal(t, "second\n", string(rest))
	require.Empty(t, <-handlerErr)
	rec := sink.next(t)
	assert.Equal(t, 200, rec.Status)
	assert.EqualValues(t, len("first\nsecond\n"), rec.Bytes)
	assert.False(t, rec.Hijacked)
}

// TestResponseControllerThroughMiddleware checks the methods that
// http.ResponseController finds through Unwrap.
func TestResponseControllerThroughMiddleware(t *testing.T) {
	errs := make(chan error, 4)
	srv := httptest.NewServer(middleware(t, nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		errs <- rc.SetWriteDeadline(time.Now().Add(time.Minute))
		errs <- rc.SetReadDeadline(time.Now().Add(time.Minute))
		errs <- rc.EnableFullDuplex()
		errs <- rc.Flush()
	})))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	require.NoError(t, err)
	resp.Body.Close()
	for _, name := range []string{"SetWriteDeadline", "SetReadDeadline", "EnableFullDuplex", "Flush"} {
		assert.NoError(t, <-errs, name)
	}
}

func TestReaderFromThroughMiddleware(t *testing.T) {
	sink := make(chanSink, 1)
	const n = 1 << 16
	srv := httptest.NewServer(middleware(t, sink)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := w.(io.ReaderFrom); !ok {
			http.Error(w, "not an io.ReaderFrom", http.StatusInternalServerError)
			return
		}
		// LimitedReader has no WriteTo, so io.Copy uses w.ReadFrom.
		_, _ = io.Copy(w, io.LimitReader(strings.NewReader(strings.Repeat("z", n+10)), n))
	})))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	require.Len(t, body, n)
	rec := sink.next(t)
	assert.EqualValues(t, n, rec.Bytes)
	assert.Equal(t, 200, rec.Status)
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
			srv := httptest.NewServer(middleware(t, sink)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.Equal(t, "hijacked", string(body), "the raw hijacked response (status %d)", resp.StatusCode)
			rec := sink.next(t)
			assert.True(t, rec.Hijacked)
			assert.Zero(t, rec.Status)
			assert.Zero(t, rec.Bytes)
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
	srv := httptest.NewUnstartedServer(middleware(t, sink)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
	require.NoError(t, err)
	_, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, 2, resp.ProtoMajor, "protocol %s", resp.Proto)
	assert.Equal(t, caps{flusher: true, hijacker: false, pusher: true}, <-got, "HTTP/2 writer through middleware: Flusher and Pusher, no Hijacker")
	rec := sink.next(t)
	assert.Equal(t, 200, rec.Status)
	assert.EqualValues(t, 2, rec.Bytes)
}
