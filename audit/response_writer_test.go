package audit

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
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
		if got := interfacesOf(under); got != caps {
			t.Fatalf("fake for %04b has %04b", caps, got)
		}
		var rw respWriter
		w := rw.reset(under)
		if got := interfacesOf(w); got != caps {
			t.Errorf("caps %04b: wrapper offers %04b", caps, got)
		}
		if u := w.(interface{ Unwrap() http.ResponseWriter }).Unwrap(); u != under {
			t.Errorf("caps %04b: Unwrap returned %T", caps, u)
		}
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
			if f.flushes != 1 || rw.status != 200 {
				t.Errorf("caps %04b: Flush reached %d times, status %d", caps, f.flushes, rw.status)
			}
		}
		if hj, ok := w.(http.Hijacker); ok {
			if _, _, err := hj.Hijack(); err != nil || !f.hijacked || !rw.hijacked {
				t.Errorf("caps %04b: Hijack err %v, reached %v, recorded %v", caps, err, f.hijacked, rw.hijacked)
			}
		}
		if rf, ok := w.(io.ReaderFrom); ok {
			if n, err := rf.ReadFrom(strings.NewReader("abc")); n != 3 || err != nil || rw.bytes != 3 {
				t.Errorf("caps %04b: ReadFrom %d %v, counted %d", caps, n, err, rw.bytes)
			}
		}
		if p, ok := w.(http.Pusher); ok {
			if err := p.Push("/style.css", nil); err != nil || f.pushed != "/style.css" {
				t.Errorf("caps %04b: Push %v, reached %q", caps, err, f.pushed)
			}
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
	if got := interfacesOf(w); got != capFlush|capHijack {
		t.Fatalf("wrapper offers %04b, want Flusher and Hijacker", got)
	}
	w.(http.Flusher).Flush()
	if _, _, err := w.(http.Hijacker).Hijack(); err != nil || !f.hijacked || !rw.hijacked || f.flushes != 1 {
		t.Errorf("Hijack through Unwrap: err %v hijacked %v/%v flushes %d", err, f.hijacked, rw.hijacked, f.flushes)
	}

	// A writer with nothing to offer: ResponseController reports
	// ErrNotSupported through the wrapper, as it would without it.
	var rw2 respWriter
	w2 := rw2.reset(fakeWriter(0, &fakeRW{}))
	if err := http.NewResponseController(w2).Flush(); !errors.Is(err, http.ErrNotSupported) {
		t.Errorf("Flush on a non-flusher: %v, want ErrNotSupported", err)
	}
	if rw2.wroteHeader {
		t.Error("a failed Flush marked the header written")
	}
}

// TestWrapperDoesNotAllocate checks that wrapping costs no allocation: the
// wrapper types are pointer-shaped.
func TestWrapperDoesNotAllocate(t *testing.T) {
	under := fakeWriter(capFlush|capHijack|capReadFrom, &fakeRW{})
	var rw respWriter
	var sink http.ResponseWriter
	if n := testing.AllocsPerRun(100, func() { sink = rw.reset(under) }); n != 0 {
		t.Errorf("reset allocates %v times", n)
	}
	_ = sink
}
