package audit

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"
)

// Auditor is the audit middleware: it writes one [Record] per request to
// its [Sink]. Create it with [New]; it is safe for concurrent use.
type Auditor struct {
	sink       Sink
	clientIP   ClientIPStrategy
	peerIP     peerStrategy // clientIP, when it is a built-in strategy
	inboundID  string       // canonical header name, or "" for none
	echoID     string       // canonical header name
	logger     *slog.Logger
	now        func() time.Time
	realClock  bool     // now is time.Now: measure Duration with time.Since
	redactKeys []string // lowercased

	sinkErrors atomic.Uint64
}

// SinkErrors returns how many times the sink has failed (returned an error
// or panicked) since the Auditor was created. Only the first failure is
// logged.
func (a *Auditor) SinkErrors() uint64 { return a.sinkErrors.Load() }

// Handler wraps next with the audit middleware; put it outermost, before
// authentication, so that refused requests are recorded too. For each
// request it:
//
//  1. snapshots the request fields (method, path, user agent, peer and
//     client address) and picks the request id, which it sets on the
//     response header before next runs;
//  2. puts the record in the request context, for [Annotate], [AddAttrs],
//     [RequestID] and [ClientIP];
//  3. calls next with a ResponseWriter that measures status and body size
//     and keeps http.Flusher, http.Hijacker, io.ReaderFrom, http.Pusher
//     and http.ResponseController working;
//  4. after next returns, or panics, fills in the measured fields and
//     writes the record to the sink, with a context that carries the
//     request's values but is never canceled. A panic is recorded as 500
//     (http.ErrAbortHandler as Aborted, with the status actually sent) and
//     re-panicked with the same value.
//
// A sink error or panic never reaches the client; see [Auditor.SinkErrors].
// The sink runs before the response is finished, so a slow sink delays
// responses: sinks that do network I/O should buffer.
//
// If the request already carries an audit record (an outer audit middleware
// is in the chain), Handler passes the request through untouched, so each
// request is recorded once. A nil next serves 404 Not Found.
func (a *Auditor) Handler(next http.Handler) http.Handler {
	if next == nil {
		next = http.NotFoundHandler()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.serve(next, w, r)
	})
}

func (a *Auditor) serve(next http.Handler, w http.ResponseWriter, r *http.Request) {
	parent := r.Context()
	if parent.Value(ctxKey{}) != nil {
		next.ServeHTTP(w, r)
		return
	}
	start := a.now()
	h := &holder{parent: parent}
	rec := &h.rec
	rec.Time = start
	rec.Method = normalizeMethod(r.Method)
	if r.URL != nil {
		rec.Path = truncate(r.URL.Path, maxPathBytes)
	}
	if ua := r.Header["User-Agent"]; len(ua) > 0 {
		rec.UserAgent = truncate(ua[0], maxUserAgentBytes)
	}
	peer, peerOK := parsePeer(r.RemoteAddr)
	rec.PeerAddr = peer
	if a.peerIP != nil {
		h.clientIP = a.peerIP.clientIPFromPeer(r, peer.Addr(), peerOK)
	} else {
		h.clientIP = a.clientIP.ClientIP(r)
	}
	rec.ClientIP = h.clientIP
	h.requestID = a.requestID(r)
	rec.RequestID = h.requestID
	h.idHeader[0] = h.requestID
	w.Header()[a.echoID] = h.idHeader[:]

	ww := h.rw.reset(w)
	r2 := r.WithContext(h)
	defer func() {
		v := recover()
		a.finish(h, r2, start, v)
		if v != nil {
			panic(v)
		}
	}()
	next.ServeHTTP(ww, r2)
}

func (a *Auditor) requestID(r *http.Request) string {
	if a.inboundID != "" {
		if v := r.Header[a.inboundID]; len(v) == 1 && validRequestID(v[0]) {
			return v[0]
		}
	}
	return newRequestID()
}

// finish fills in the measured fields, seals the record and writes it.
// recovered is the value recovered from a panicking handler, or nil.
func (a *Auditor) finish(h *holder, r *http.Request, start time.Time, recovered any) {
	var elapsed time.Duration
	if a.realClock {
		elapsed = time.Since(start) // reads only the monotonic clock
	} else {
		elapsed = a.now().Sub(start)
	}
	rw := &h.rw
	h.mu.Lock()
	rec := &h.rec
	rec.Duration = elapsed
	rec.Hijacked = rw.hijacked
	rec.Bytes = rw.bytes
	switch {
	case recovered == nil:
		rec.Status = rw.status
		if !rw.wroteHeader && !rw.hijacked {
			rec.Status = http.StatusOK // net/http sends 200 for an empty response
		}
	case recovered == http.ErrAbortHandler:
		rec.Aborted = true
		rec.Status = rw.status // 0 when nothing was sent
	default:
		rec.Panicked = true
		rec.Status = http.StatusInternalServerError
	}
	if rec.Route == "" {
		rec.Route = r.Pattern
	}
	if len(rec.Attrs) > 0 && len(a.redactKeys) > 0 {
		rec.Attrs, _ = redactAttrs(rec.Attrs, a.redactKeys)
	}
	h.done = true
	h.mu.Unlock()

	a.write(context.WithoutCancel(r.Context()), rec)
}

// write hands rec to the sink, turning a sink panic into a counted error.
func (a *Auditor) write(ctx context.Context, rec *Record) {
	defer func() {
		if v := recover(); v != nil {
			a.sinkFailed(fmt.Errorf("%w: %v", ErrSinkPanic, v))
		}
	}()
	if err := a.sink.Write(ctx, rec); err != nil {
		a.sinkFailed(err)
	}
}

func (a *Auditor) sinkFailed(err error) {
	if a.sinkErrors.Add(1) == 1 {
		a.log().Error("audit: sink failed; further sink errors are counted, not logged", "error", err)
	}
}

func (a *Auditor) log() *slog.Logger {
	if a.logger != nil {
		return a.logger
	}
	return slog.Default()
}
