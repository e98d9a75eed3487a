// Wrapper types for respWriter, one per combination of the optional
// interfaces it forwards. The suffix letters are F(lusher), H(ijacker),
// R(eaderFrom) and P(usher).

package audit

import (
	"bufio"
	"io"
	"net"
	"net/http"
)

type rw0 struct{ *respWriter }

type rwF struct{ *respWriter }

func (w rwF) Flush()            { _ = w.flushError() }
func (w rwF) FlushError() error { return w.flushError() }

type rwH struct{ *respWriter }

func (w rwH) Hijack() (net.Conn, *bufio.ReadWriter, error) { return w.hijack() }

type rwFH struct{ *respWriter }

func (w rwFH) Flush()                                       { _ = w.flushError() }
func (w rwFH) FlushError() error                            { return w.flushError() }
func (w rwFH) Hijack() (net.Conn, *bufio.ReadWriter, error) { return w.hijack() }

type rwR struct{ *respWriter }

func (w rwR) ReadFrom(src io.Reader) (int64, error) { return w.readFrom(src) }

type rwFR struct{ *respWriter }

func (w rwFR) Flush()                                { _ = w.flushError() }
func (w rwFR) FlushError() error                     { return w.flushError() }
func (w rwFR) ReadFrom(src io.Reader) (int64, error) { return w.readFrom(src) }

type rwHR struct{ *respWriter }

func (w rwHR) Hijack() (net.Conn, *bufio.ReadWriter, error) { return w.hijack() }
func (w rwHR) ReadFrom(src io.Reader) (int64, error)        { return w.readFrom(src) }

type rwFHR struct{ *respWriter }

func (w rwFHR) Flush()                                       { _ = w.flushError() }
func (w rwFHR) FlushError() error                            { return w.flushError() }
func (w rwFHR) Hijack() (net.Conn, *bufio.ReadWriter, error) { return w.hijack() }
func (w rwFHR) ReadFrom(src io.Reader) (int64, error)        { return w.readFrom(src) }

type rwP struct{ *respWriter }

func (w rwP) Push(target string, opts *http.PushOptions) error { return w.push(target, opts) }

type rwFP struct{ *respWriter }

func (w rwFP) Flush()                                           { _ = w.flushError() }
func (w rwFP) FlushError() error                                { return w.flushError() }
func (w rwFP) Push(target string, opts *http.PushOptions) error { return w.push(target, opts) }

type rwHP struct{ *respWriter }

func (w rwHP) Hijack() (net.Conn, *bufio.ReadWriter, error)     { return w.hijack() }
func (w rwHP) Push(target string, opts *http.PushOptions) error { return w.push(target, opts) }

type rwFHP struct{ *respWriter }

func (w rwFHP) Flush()                                           { _ = w.flushError() }
func (w rwFHP) FlushError() error                                { return w.flushError() }
func (w rwFHP) Hijack() (net.Conn, *bufio.ReadWriter, error)     { return w.hijack() }
func (w rwFHP) Push(target string, opts *http.PushOptions) error { return w.push(target, opts) }

type rwRP struct{ *respWriter }

func (w rwRP) ReadFrom(src io.Reader) (int64, error)            { return w.readFrom(src) }
func (w rwRP) Push(target string, opts *http.PushOptions) error { return w.push(target, opts) }

type rwFRP struct{ *respWriter }

func (w rwFRP) Flush()                                           { _ = w.flushError() }
func (w rwFRP) FlushError() error                                { return w.flushError() }
func (w rwFRP) ReadFrom(src io.Reader) (int64, error)            { return w.readFrom(src) }
func (w rwFRP) Push(target string, opts *http.PushOptions) error { return w.push(target, opts) }

type rwHRP struct{ *respWriter }

func (w rwHRP) Hijack() (net.Conn, *bufio.ReadWriter, error)     { return w.hijack() }
func (w rwHRP) ReadFrom(src io.Reader) (int64, error)            { return w.readFrom(src) }
func (w rwHRP) Push(target string, opts *http.PushOptions) error { return w.push(target, opts) }

type rwFHRP struct{ *respWriter }

func (w rwFHRP) Flush()                                           { _ = w.flushError() }
func (w rwFHRP) FlushError() error                                { return w.flushError() }
func (w rwFHRP) Hijack() (net.Conn, *bufio.ReadWriter, error)     { return w.hijack() }
func (w rwFHRP) ReadFrom(src io.Reader) (int64, error)            { return w.readFrom(src) }
func (w rwFHRP) Push(target string, opts *http.PushOptions) error { return w.push(target, opts) }

// wrap returns the wrapper type for the capability bits caps.
func (w *respWriter) wrap(caps int) http.ResponseWriter {
	switch caps {
	case 0:
		return rw0{w}
	case capFlush:
		return rwF{w}
	case capHijack:
		return rwH{w}
	case capFlush | capHijack:
		return rwFH{w}
	case capReadFrom:
		return rwR{w}
	case capFlush | capReadFrom:
		return rwFR{w}
	case capHijack | capReadFrom:
		return rwHR{w}
	case capFlush | capHijack | capReadFrom:
		return rwFHR{w}
	case capPush:
		return rwP{w}
	case capFlush | capPush:
		return rwFP{w}
	case capHijack | capPush:
		return rwHP{w}
	case capFlush | capHijack | capPush:
		return rwFHP{w}
	case capReadFrom | capPush:
		return rwRP{w}
	case capFlush | capReadFrom | capPush:
		return rwFRP{w}
	case capHijack | capReadFrom | capPush:
		return rwHRP{w}
	case capFlush | capHijack | capReadFrom | capPush:
		return rwFHRP{w}
	}
	return rw0{w}
}

// Compile-time checks that each wrapper offers its interfaces.
var (
	_ http.Flusher  = rwF{}
	_ http.Hijacker = rwH{}
	_ http.Flusher  = rwFH{}
	_ http.Hijacker = rwFH{}
	_ io.ReaderFrom = rwR{}
	_ http.Flusher  = rwFR{}
	_ io.ReaderFrom = rwFR{}
	_ http.Hijacker = rwHR{}
	_ io.ReaderFrom = rwHR{}
	_ http.Flusher  = rwFHR{}
	_ http.Hijacker = rwFHR{}
	_ io.ReaderFrom = rwFHR{}
	_ http.Pusher   = rwP{}
	_ http.Flusher  = rwFP{}
	_ http.Pusher   = rwFP{}
	_ http.Hijacker = rwHP{}
	_ http.Pusher   = rwHP{}
	_ http.Flusher  = rwFHP{}
	_ http.Hijacker = rwFHP{}
	_ http.Pusher   = rwFHP{}
	_ io.ReaderFrom = rwRP{}
	_ http.Pusher   = rwRP{}
	_ http.Flusher  = rwFRP{}
	_ io.ReaderFrom = rwFRP{}
	_ http.Pusher   = rwFRP{}
	_ http.Hijacker = rwHRP{}
	_ io.ReaderFrom = rwHRP{}
	_ http.Pusher   = rwHRP{}
	_ http.Flusher  = rwFHRP{}
	_ http.Hijacker = rwFHRP{}
	_ io.ReaderFrom = rwFHRP{}
	_ http.Pusher   = rwFHRP{}
)
