package audit

import (
	"context"
	"log/slog"
	"net/netip"
	"sync"
	"time"
)

// ctxKey is the context key under which the middleware stores the holder of
// the request's record.
type ctxKey struct{}

// holder is the per-request state of the middleware. It is also the
// request's context: it wraps the parent context and answers Value(ctxKey{})
// with itself, which saves the allocation of a context.WithValue. The record
// is guarded by mu until the middleware marks it done and hands it to the
// sink; after that nothing writes to it again.
type holder struct {
	parent context.Context

	mu   sync.Mutex
	done bool
	rec  Record

	// Set before the handler runs and never changed: read without mu.
	clientIP  netip.Addr
	requestID string
	idHeader  [1]string // backing array of the response header value

	rw respWriter
}

// Deadline implements context.Context by delegating to the parent.
func (h *holder) Deadline() (time.Time, bool) { return h.parent.Deadline() }

// Done implements context.Context by delegating to the parent.
func (h *holder) Done() <-chan struct{} { return h.parent.Done() }

// Err implements context.Context by delegating to the parent.
func (h *holder) Err() error { return h.parent.Err() }

// Value implements context.Context: the holder answers its own key and
// delegates every other key (including the context package's internal
// ones, so cancellation propagates as it would through context.WithValue).
func (h *holder) Value(key any) any {
	if key == (ctxKey{}) {
		return h
	}
	return h.parent.Value(key)
}

// String describes the context, as the context package's own types do.
func (h *holder) String() string { return "audit.Record context" }

func holderFrom(ctx context.Context) *holder {
	if ctx == nil {
		return nil
	}
	h, _ := ctx.Value(ctxKey{}).(*holder)
	return h
}

// Annotate calls fn with the record of the request ctx belongs to, so that a
// layer inside the audit middleware can add what only it knows: the auth
// middleware sets UserID, SessionID, PrincipalKind, AuthOutcome and
// AuthFailure; org guards set OrgID and OrgRole.
//
// Annotate is safe for concurrent use: fn runs with the record locked, so it
// must be short and must not call Annotate or AddAttrs itself (that would
// deadlock). fn must not keep the pointer. Annotate is a no-op when ctx
// carries no audit record (no audit middleware in the chain) and after the
// record has been handed to the sink (for example from a goroutine that
// outlives the handler).
//
// AuthFailure must be the text of a failure sentinel, never a token or a
// wrapped error's full message:
//
//	audit.Annotate(r.Context(), func(rec *audit.Record) {
//		rec.AuthOutcome = audit.AuthFailure
//		rec.AuthFailure = clerkauth.ErrTokenExpired.Error()
//	})
//
// Fields the middleware measures after the handler returns (Duration,
// Status, Bytes, Hijacked, Panicked, Aborted) overwrite annotated values;
// an annotated Route is kept.
func Annotate(ctx context.Context, fn func(*Record)) {
	if fn == nil {
		return
	}
	h := holderFrom(ctx)
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.done {
		return
	}
	fn(&h.rec)
}

// AddAttrs appends free attributes to the request's record. Like [Annotate]
// it is safe for concurrent use and a no-op without an audit middleware.
// Wrap sensitive values with [Secret], [Redact] or [Mask]; keys configured
// with [Config.RedactedKeys] are redacted whatever their value. Attributes with
// a reserved key (see [Record.Attrs]) are dropped by the sinks.
func AddAttrs(ctx context.Context, attrs ...slog.Attr) {
	if len(attrs) == 0 {
		return
	}
	Annotate(ctx, func(r *Record) { r.Attrs = append(r.Attrs, attrs...) })
}

// RequestID returns the id of the request ctx belongs to, or "" when ctx
// carries no audit record. The same id is echoed in the response header.
func RequestID(ctx context.Context) string {
	if h := holderFrom(ctx); h != nil {
		return h.requestID
	}
	return ""
}

// ClientIP returns the client address the middleware's [ClientIPStrategy]
// chose for the request ctx belongs to. ok is false when ctx carries no
// audit record or the strategy could not determine an address.
func ClientIP(ctx context.Context) (addr netip.Addr, ok bool) {
	if h := holderFrom(ctx); h != nil && h.clientIP.IsValid() {
		return h.clientIP, true
	}
	return netip.Addr{}, false
}
