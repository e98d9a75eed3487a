package audit

import (
	"bufio"
	"io"
	"net"
	"net/http"
)

// respWriter records the status and body size of a response. It is embedded
// in the request's holder (no allocation of its own) and exposed to the
// handler through one of sixteen thin wrapper types, one per combination of
// the optional interfaces http.Flusher, http.Hijacker, io.ReaderFrom and
// http.Pusher, so that a handler sees exactly the optional interfaces the
// underlying writer offers. Every wrapper has Unwrap, so
// http.ResponseController also reaches SetReadDeadline, SetWriteDeadline and
// EnableFullDuplex on the underlying writer.
//
// Flush and Hijack are offered when the underlying writer, or any writer
// reachable from it through Unwrap, supports them (exactly when
// http.ResponseController would succeed); ReadFrom and Push only when the
// underlying writer implements them directly. CloseNotifier (deprecated) is
// not forwarded.
type respWriter struct {
	w           http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
	hijacked    bool
}

// Header returns the underlying writer's header map.
func (w *respWriter) Header() http.Header { return w.w.Header() }

// WriteHeader records the first final (non-1xx, or 101) status code and
// passes every call through.
func (w *respWriter) WriteHeader(code int) {
	if !w.wroteHeader && !w.hijacked && (code < 100 || code > 199 || code == http.StatusSwitchingProtocols) {
		w.status = code
		w.wroteHeader = true
	}
	w.w.WriteHeader(code)
}

func (w *respWriter) implicitOK() {
	if !w.wroteHeader && !w.hijacked {
		w.status = http.StatusOK
		w.wroteHeader = true
	}
}

// Write counts body bytes; a Write before WriteHeader implies 200.
func (w *respWriter) Write(p []byte) (int, error) {
	w.implicitOK()
	n, err := w.w.Write(p)
	w.bytes += int64(n)
	return n, err
}

// WriteString is Write for strings; it uses the underlying writer's
// WriteString when there is one, avoiding a copy.
func (w *respWriter) WriteString(s string) (int, error) {
	w.implicitOK()
	n, err := io.WriteString(w.w, s)
	w.bytes += int64(n)
	return n, err
}

// Unwrap returns the underlying writer, for http.ResponseController.
func (w *respWriter) Unwrap() http.ResponseWriter { return w.w }

func (w *respWriter) flushError() error {
	err := http.NewResponseController(w.w).Flush()
	if err == nil {
		w.implicitOK()
	}
	return err
}

func (w *respWriter) hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.w).Hijack()
	if err == nil {
		w.hijacked = true
	}
	return conn, brw, err
}

func (w *respWriter) readFrom(src io.Reader) (int64, error) {
	w.implicitOK()
	n, err := w.w.(io.ReaderFrom).ReadFrom(src)
	w.bytes += n
	return n, err
}

func (w *respWriter) push(target string, opts *http.PushOptions) error {
	return w.w.(http.Pusher).Push(target, opts)
}

// Capability bits, combined to choose the wrapper type.
const (
	capFlush = 1 << iota
	capHijack
	capReadFrom
	capPush
)

// capabilities reports which optional interfaces the wrapper must offer
// for w.
func capabilities(w http.ResponseWriter) int {
	var caps int
	if _, ok := w.(io.ReaderFrom); ok {
		caps |= capReadFrom
	}
	if _, ok := w.(http.Pusher); ok {
		caps |= capPush
	}
	// Follow Unwrap as http.ResponseController does. The depth bound only
	// guards against a writer that unwraps to itself.
	for range 32 {
		switch w.(type) {
		case http.Flusher, interface{ FlushError() error }:
			caps |= capFlush
		}
		if _, ok := w.(http.Hijacker); ok {
			caps |= capHijack
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			break
		}
		w = u.Unwrap()
		if w == nil {
			break
		}
	}
	return caps
}

// reset prepares w to wrap u and returns the wrapper the handler sees. The
// wrapper is pointer-shaped, so converting it to an interface does not
// allocate.
func (w *respWriter) reset(u http.ResponseWriter) http.ResponseWriter {
	*w = respWriter{w: u}
	return w.wrap(capabilities(u))
}
