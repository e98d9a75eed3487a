package audit

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeRW implements every optional interface; fakeWriter exposes only the
// combination a test asks for.
type fakeRW struct {
	header   http.Header
	code     int
	body     strings.Builder
	flushes  int
	hijacked bool
	pushed   string
}

func (f *fakeRW) Header() http.Header {
	if f.header == nil {
		f.header = http.Header{}
	}
	return f.header
}
func (f *fakeRW) Write(p []byte) (int, error)              { return f.body.Write(p) }
func (f *fakeRW) WriteHeader(code int)                     { f.code = code }
func (f *fakeRW) Flush()                                   { f.flushes++ }
func (f *fakeRW) ReadFrom(r io.Reader) (int64, error)      { return io.Copy(&f.body, r) }
func (f *fakeRW) Push(t string, _ *http.PushOptions) error { f.pushed = t; return nil }
func (f *fakeRW) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	f.hijacked = true
	return nil, nil, nil
}

func fakeWriter(caps int, f *fakeRW) http.ResponseWriter {
	type (
		W = http.ResponseWriter
		F = http.Flusher
		H = http.Hijacker
		R = io.ReaderFrom
		P = http.Pusher
	)
	switch caps {
	case 0:
		return struct{ W }{f}
	case capFlush:
		return struct {
			W
			F
		}{f, f}
	case capHijack:
		return struct {
			W
			H
		}{f, f}
	case capFlush | capHijack:
		return struct {
			W
			F
			H
		}{f, f, f}
	case capReadFrom:
		return struct {
			W
			R
		}{f, f}
	case capFlush | capReadFrom:
		return struct {
			W
			F
			R
		}{f, f, f}
	case capHijack | capReadFrom:
		return struct {
			W
			H
			R
		}{f, f, f}
	case capFlush | capHijack | capReadFrom:
		return struct {
			W
			F
			H
			R
		}{f, f, f, f}
	case capPush:
		return struct {
			W
			P
		}{f, f}
	case capFlush | capPush:
		return struct {
			W
			F
			P
		}{f, f, f}
	case capHijack | capPush:
		return struct {
			W
			H
			P
		}{f, f, f}
	case capFlush | capHijack | capPush:
		return struct {
			W
			F
			H
			P
		}{f, f, f, f}
	case capReadFrom | capPush:
		return struct {
			W
			R
			P
		}{f, f, f}
	case capFlush | capReadFrom | capPush:
		return struct {
			W
			F
			R
			P
		}{f, f, f, f}
	case capHijack | capReadFrom | capPush:
		return struct {
			W
			H
			R
			P
		}{f, f, f, f}
	default:
		return struct {
			W
			F
			H
			R
			P
		}{f, f, f, f, f}
	}
}

func interfacesOf(w http.ResponseWriter) int {
	var caps int
	if _, ok := w.(http.Flusher); ok {
		caps |= capFlush
	}
	if _, ok := w.(http.Hijacker); ok {
		caps |= capHijack
	}
	if _, ok := w.(io.ReaderFrom); ok {
		caps |= capReadFrom
	}
	if _, ok := w.(http.Pusher); ok {
		caps |= capPush
	}
	return caps
}

// TestWrapperMirrorsInterfaces checks all sixteen combinations: the wrapper
// offers exactly the optional interfaces of the writer it wraps, each one
// reaches the underlying writer, and Unwrap returns it.
func TestWrapperMirrorsInterfaces(t *testing.T) {
	for caps := range 16 {
		f := &fakeRW{}
		under := fakeWriter(caps, f)
		require.Equal(t, caps, interfacesOf(under), "the fake for %04b", caps)
		var rw respWriter
		w := rw.reset(under)
		assert.Equal(t, caps, interfacesOf(w), "caps %04b: what the wrapper offers", caps)
		assert.True(t, w.(interface{ Unwrap() http.ResponseWriter }).Unwrap() == under, "caps %04b: Unwrap", caps)
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
			assert.Equal(t, 1, f.flushes, "caps %04b: Flush", caps)
			assert.Equal(t, 200, rw.status, "caps %04b: Flush", caps)
		}
		if hj, ok := w.(http.Hijacker); ok {
			_, _, err := hj.Hijack()
			assert.NoError(t, err, "caps %04b: Hijack", caps)
			assert.True(t, f.hijacked, "caps %04b: Hijack reached the writer", caps)
			assert.True(t, rw.hijacked, "caps %04b: Hijack recorded", caps)
		}
		if rf, ok := w.(io.ReaderFrom); ok {
			n, err := rf.ReadFrom(strings.NewReader("abc"))
			assert.NoError(t, err, "caps %04b: ReadFrom", caps)
			assert.EqualValues(t, 3, n, "caps %04b: ReadFrom", caps)
			assert.EqualValues(t, 3, rw.bytes, "caps %04b: ReadFrom counted", caps)
		}
		if p, ok := w.(http.Pusher); ok {
			assert.NoError(t, p.Push("/style.css", nil), "caps %04b: Push", caps)
			assert.Equal(t, "/style.css", f.pushed, "caps %04b: Push", caps)
		}
	}
}

// unwrapper hides its writer's optional interfaces but unwraps to it, as
// some third-party middlewares do.
type unwrapper struct{ http.ResponseWriter }

func (u unwrapper) Unwrap() http.ResponseWriter { return u.ResponseWriter }

func TestWrapperFollowsUnwrap(t *testing.T) {
	f := &fakeRW{}
	var rw respWriter
	w := rw.reset(unwrapper{fakeWriter(capFlush|capHijack|capReadFrom|capPush, f)})
	// Flush and Hijack are reachable through Unwrap (as ResponseController
	// sees them); ReadFrom and Push are not offered by the direct writer.
	require.Equal(t, capFlush|capHijack, interfacesOf(w), "want Flusher and Hijacker")
	w.(http.Flusher).Flush()
	_, _, err := w.(http.Hijacker).Hijack()
	assert.NoError(t, err)
	assert.True(t, f.hijacked)
	assert.True(t, rw.hijacked)
	assert.Equal(t, 1, f.flushes)

	// A writer with nothing to offer: ResponseController reports
	// ErrNotSupported through the wrapper, as it would without it.
	var rw2 respWriter
	w2 := rw2.reset(fakeWriter(0, &fakeRW{}))
	assert.ErrorIs(t, http.NewResponseController(w2).Flush(), http.ErrNotSupported, "Flush on a non-flusher")
	assert.False(t, rw2.wroteHeader, "a failed Flush marked the header written")
}

// TestWrapperDoesNotAllocate checks that wrapping costs no allocation: the
// wrapper types are pointer-shaped.
func TestWrapperDoesNotAllocate(t *testing.T) {
	under := fakeWriter(capFlush|capHijack|capReadFrom, &fakeRW{})
	var rw respWriter
	var sink http.ResponseWriter
	assert.Zero(t, testing.AllocsPerRun(100, func() { sink = rw.reset(under) }), "reset allocates")
	_ = sink
}
