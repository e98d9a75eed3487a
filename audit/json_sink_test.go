package audit_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/audit"
	"github.com/unioneyes/authkit/audit/audittest"
)

// lockedBuffer lets the conformance kit read what the sink wrote.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) records(t *testing.T) []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	recs, err := audittest.JSONLines(b.buf.Bytes())
	require.NoError(t, err)
	return recs
}

func TestJSONSinkConformance(t *testing.T) {
	audittest.Run(t, func(t *testing.T) (audit.Sink, func() []map[string]any) {
		var buf lockedBuffer
		return audit.JSONSink(&buf), func() []map[string]any { return buf.records(t) }
	})
}

// countingWriter counts Write calls and checks each is one whole line.
type countingWriter struct {
	mu     sync.Mutex
	writes int
	bad    []string
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes++
	if s := string(p); strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "}\n") || !strings.HasPrefix(s, "{") {
		w.bad = append(w.bad, s)
	}
	return len(p), nil
}

func TestJSONSinkOneWritePerLine(t *testing.T) {
	w := &countingWriter{}
	sink := audit.JSONSink(w)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			r := &audit.Record{Method: "GET", Path: "/a\nb\"c", UserAgent: "x\u2028y"}
			assert.NoError(t, sink.Write(context.Background(), r))
		})
	}
	wg.Wait()
	assert.Equal(t, 20, w.writes)
	assert.Empty(t, w.bad, "malformed lines")
}

func TestJSONSinkFormat(t *testing.T) {
	var buf bytes.Buffer
	r := &audit.Record{Time: t0, Method: "GET", Path: "/x", Status: 200, Duration: 1500}
	require.NoError(t, audit.JSONSink(&buf).Write(context.Background(), r))
	want := `{"time":"2026-01-02T03:04:05Z","http.request.method":"GET","url.path":"/x","http.response.status_code":200,"http.response.body.size":0,"duration":1500}` + "\n"
	assert.Equal(t, want, buf.String())
}

type failingWriter struct{}

var errWrite = errors.New("write failed")

func (failingWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestJSONSinkErrors(t *testing.T) {
	assert.ErrorIs(t, audit.JSONSink(failingWriter{}).Write(context.Background(), &audit.Record{}), errWrite, "failing writer")
	assert.ErrorIs(t, audit.JSONSink(nil).Write(context.Background(), &audit.Record{}), audit.ErrNoWriter, "nil writer")
}
