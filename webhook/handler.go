package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults applied by [NewHandler] to zero fields of [HandlerConfig].
const (
	// DefaultDedupeTTL is how long a processed message id is remembered:
	// longer than Svix's retry schedule (about 27.6 h) with room for
	// manual replays.
	DefaultDedupeTTL = 72 * time.Hour

	// DefaultClaimLease is how long a delivery holds a message id while its
	// handlers run. Svix gives up on a delivery after 15 s, so a lease of
	// minutes only outlives a process that crashed mid-delivery.
	DefaultClaimLease = 2 * time.Minute
)

// EventFunc handles one event. A nil error acknowledges the message (2xx);
// any other error makes the Handler answer 500 so that Svix retries the
// message later, with the same [Event.MessageID]. An error wrapping
// [ErrMalformedPayload] is the exception: the event can never be processed,
// so it is acknowledged and logged instead of retried.
//
// Handlers must be idempotent: Svix delivers at least once and the dedupe
// store is an optimisation, not a guarantee (its marks expire; an
// in-memory one is per process).
type EventFunc func(ctx context.Context, e Event) error

// HandlerConfig configures [NewHandler]. Zero fields take the documented
// defaults; NewHandler copies the struct and never modifies it.
type HandlerConfig struct {
	// Verifier checks every request before anything is parsed. Required.
	Verifier *Verifier

	// Dedupe records processed message ids. Nil means a new
	// [MemoryDedupe] with default settings, which is right for one
	// replica; give every replica the same shared store otherwise.
	Dedupe Dedupe

	// DedupeTTL is how long a processed id is remembered. Zero means
	// [DefaultDedupeTTL]; keep it above 24 h, Svix retries for ~27.6 h.
	DedupeTTL time.Duration

	// ClaimLease is how long a delivery holds an id while its handlers
	// run. Zero means [DefaultClaimLease]. It must be shorter than
	// DedupeTTL.
	ClaimLease time.Duration

	// Logger receives one record per rejected, failed or unprocessable
	// delivery (never a secret or a signature; the message id and event
	// type are logged). Nil means [slog.Default].
	Logger *slog.Logger

	// MaxBodyBytes is the largest body read; a larger one is answered 413
	// without reading it further. Zero means the Verifier's
	// [Verifier.MaxBodyBytes]; a larger value is refused.
	MaxBodyBytes int64
}

// Handler is the http.Handler of a Clerk webhook endpoint. For each request
// it:
//
//  1. answers 405 with "Allow: POST" to anything but POST;
//  2. reads at most MaxBodyBytes through [http.MaxBytesReader] (413 above);
//  3. verifies the raw bytes with the Verifier (400 on any failure, with a
//     generic body; the reason is logged);
//  4. parses the envelope; a verified but malformed body is acknowledged
//     (200) and logged, since a retry would carry the same bytes;
//  5. answers 200 "ignored" for an event type with no registered function;
//  6. claims the message id in the Dedupe store: a done id is answered 200
//     "duplicate", an id another delivery is processing right now is
//     answered 409 (see below), a store failure 500;
//  7. runs the functions registered for the type, in registration order,
//     stopping at the first error; then marks the id done (200) or, on an
//     error or a panic, releases the claim and answers 500, so that Svix's
//     retry runs them again.
//
// Why 409 for a concurrent duplicate rather than 2xx: Svix sends the
// attempts of one message one after another, so two deliveries of one id
// overlap only when Svix gave up on the first (15 s timeout) while it was
// still running here. Svix then only sees the second answer: a 2xx would
// end the message even if the first delivery went on to fail and release
// its claim, and the event would be lost. A 409 makes Svix retry later,
// when the first delivery has either succeeded (the retry gets 200
// "duplicate") or failed (the retry runs the handlers). Whatever the
// answers, the functions run once per successful processing.
//
// Register functions with [Handler.On] and the typed helpers
// ([Handler.OnUserCreated], …). Registration is safe at any time, also
// while serving; a request sees the registrations made before it started
// dispatching.
type Handler struct {
	verifier *Verifier
	dedupe   Dedupe
	ttl      time.Duration
	lease    time.Duration
	log      *slog.Logger
	maxBody  int64
	mu       sync.Mutex                             // serialises writers of routes
	routes   atomic.Pointer[map[string][]EventFunc] // copy on write
}

// NewHandler validates cfg and returns a Handler with no registered
// function. It fails with [ErrInvalidConfig] when Verifier is nil, a
// duration or size is negative, ClaimLease is not shorter than DedupeTTL
// or MaxBodyBytes exceeds the Verifier's.
func NewHandler(cfg HandlerConfig) (*Handler, error) {
	if cfg.Verifier == nil {
		return nil, fmt.Errorf("%w: Verifier is required", ErrInvalidConfig)
	}
	if cfg.DedupeTTL < 0 || cfg.ClaimLease < 0 || cfg.MaxBodyBytes < 0 {
		return nil, fmt.Errorf("%w: DedupeTTL, ClaimLease and MaxBodyBytes must not be negative", ErrInvalidConfig)
	}
	h := &Handler{
		verifier: cfg.Verifier,
		dedupe:   cfg.Dedupe,
		ttl:      cfg.DedupeTTL,
		lease:    cfg.ClaimLease,
		log:      cfg.Logger,
		maxBody:  cfg.MaxBodyBytes,
	}
	if h.ttl == 0 {
		h.ttl = DefaultDedupeTTL
	}
	if h.lease == 0 {
		h.lease = DefaultClaimLease
	}
	if h.lease >= h.ttl {
		return nil, fmt.Errorf("%w: ClaimLease (%s) must be shorter than DedupeTTL (%s)", ErrInvalidConfig, h.lease, h.ttl)
	}
	if h.maxBody == 0 {
		h.maxBody = cfg.Verifier.MaxBodyBytes()
	}
	if h.maxBody > cfg.Verifier.MaxBodyBytes() {
		return nil, fmt.Errorf("%w: MaxBodyBytes (%d) exceeds the Verifier's (%d)", ErrInvalidConfig, h.maxBody, cfg.Verifier.MaxBodyBytes())
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.dedupe == nil {
		d, err := NewMemoryDedupe(MemoryDedupeConfig{})
		if err != nil {
			return nil, err
		}
		h.dedupe = d
	}
	empty := map[string][]EventFunc{}
	h.routes.Store(&empty)
	return h, nil
}

// On registers fn for events of type eventType (such as
// [EventUserCreated], or any type Clerk sends). Several functions may be
// registered for one type; they run in registration order, and the first
// error stops the chain (every function runs again on Svix's retry). An
// empty eventType or a nil fn is not registered and is logged as an error.
func (h *Handler) On(eventType string, fn EventFunc) {
	if eventType == "" || fn == nil {
		h.log.Error("webhook: On called with an empty event type or a nil function; ignored", "event_type", eventType)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	old := *h.routes.Load()
	next := make(map[string][]EventFunc, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	fns := make([]EventFunc, len(old[eventType]), len(old[eventType])+1)
	copy(fns, old[eventType])
	next[eventType] = append(fns, fn)
	h.routes.Store(&next)
}

// Response bodies: small, generic, never the reason.
const (
	bodyOK               = `{"status":"ok"}` + "\n"
	bodyDuplicate        = `{"status":"duplicate"}` + "\n"
	bodyIgnored          = `{"status":"ignored"}` + "\n"
	bodyBadRequest       = `{"error":"bad request"}` + "\n"
	bodyTooLarge         = `{"error":"request body too large"}` + "\n"
	bodyMethodNotAllowed = `{"error":"method not allowed"}` + "\n"
	bodyConflict         = `{"error":"message is being processed, retry later"}` + "\n"
	bodyInternal         = `{"error":"internal error"}` + "\n"
)

func respond(w http.ResponseWriter, status int, body string) {
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// ServeHTTP implements [http.Handler]; see [Handler] for the steps and the
// status codes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		respond(w, http.StatusMethodNotAllowed, bodyMethodNotAllowed)
		return
	}
	body, err := h.readBody(w, r)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			h.log.Warn("webhook: request body too large", "limit", h.maxBody, "remote_addr", r.RemoteAddr)
			respond(w, http.StatusRequestEntityTooLarge, bodyTooLarge)
			return
		}
		h.log.Warn("webhook: reading request body failed", "error", err, "remote_addr", r.RemoteAddr)
		respond(w, http.StatusBadRequest, bodyBadRequest)
		return
	}

	msgID, err := h.verifier.verify(r.Header, body)
	if err != nil {
		// The error is one of our sentinels with non-secret context; the audit
		// record (when an audit middleware wraps this endpoint) gets the
		// sentinel's text only.
		annotateFailure(r, err)
		h.log.Warn("webhook: verification failed", "error", err, "remote_addr", r.RemoteAddr)
		if errors.Is(err, ErrBodyTooLarge) {
			respond(w, http.StatusRequestEntityTooLarge, bodyTooLarge)
			return
		}
		respond(w, http.StatusBadRequest, bodyBadRequest)
		return
	}

	ev, err := ParseEvent(body)
	if err != nil {
		h.log.Error("webhook: verified message is not a Clerk event; acknowledged without processing", "msg_id", msgID, "error", err)
		respond(w, http.StatusOK, bodyIgnored)
		return
	}
	ev.MessageID = msgID
	fns := (*h.routes.Load())[ev.Type]
	if len(fns) == 0 {
		h.log.Debug("webhook: no handler for event type; acknowledged", "msg_id", msgID, "event_type", ev.Type)
		respond(w, http.StatusOK, bodyIgnored)
		return
	}

	ctx := r.Context()
	claim, err := h.dedupe.Claim(ctx, msgID, h.lease)
	if err == nil && claim != ClaimAcquired && claim != ClaimInProgress && claim != ClaimDone {
		err = fmt.Errorf("webhook: dedupe store returned an invalid claim result %d", int(claim))
	}
	if err != nil {
		h.log.Error("webhook: dedupe claim failed", "msg_id", msgID, "event_type", ev.Type, "error", err)
		respond(w, http.StatusInternalServerError, bodyInternal)
		return
	}
	switch claim {
	case ClaimDone:
		h.log.Debug("webhook: duplicate message; acknowledged", "msg_id", msgID, "event_type", ev.Type)
		respond(w, http.StatusOK, bodyDuplicate)
		return
	case ClaimInProgress:
		h.log.Info("webhook: message is being processed by another delivery; asking Svix to retry", "msg_id", msgID, "event_type", ev.Type)
		respond(w, http.StatusConflict, bodyConflict)
		return
	}

	// The claim is ours: end it with Done or Release even if the client
	// went away (Svix's 15 s timeout cancels ctx).
	storeCtx := context.WithoutCancel(ctx)
	err = h.dispatch(ctx, fns, ev)
	if err != nil && !errors.Is(err, ErrMalformedPayload) {
		h.log.Error("webhook: event handler failed; released for Svix to retry", "msg_id", msgID, "event_type", ev.Type, "error", err)
		if rerr := h.dedupe.Release(storeCtx, msgID); rerr != nil {
			h.log.Error("webhook: releasing dedupe claim failed; retries wait for the lease to expire", "msg_id", msgID, "error", rerr)
		}
		respond(w, http.StatusInternalServerError, bodyInternal)
		return
	}
	resp := bodyOK
	if err != nil {
		h.log.Error("webhook: event payload cannot be processed; acknowledged without retry", "msg_id", msgID, "event_type", ev.Type, "error", err)
		resp = bodyIgnored
	}
	if derr := h.dedupe.Done(storeCtx, msgID, h.ttl); derr != nil {
		// The work is done; answering 5xx would only make Svix redeliver
		// it. A later duplicate may run the handlers again.
		h.log.Error("webhook: marking message done failed", "msg_id", msgID, "event_type", ev.Type, "error", derr)
	}
	respond(w, http.StatusOK, resp)
}

// readBody reads the whole body through http.MaxBytesReader, refusing
// early a declared Content-Length above the limit.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > h.maxBody {
		return nil, &http.MaxBytesError{Limit: h.maxBody}
	}
	if r.Body == nil { // only possible when ServeHTTP is called directly
		return []byte{}, nil
	}
	rd := http.MaxBytesReader(w, r.Body, h.maxBody)
	defer rd.Close()
	if r.ContentLength > 0 {
		// One allocation of the declared size (+1 so the final EOF read
		// does not grow the buffer).
		buf := make([]byte, 0, r.ContentLength+1)
		for {
			n, err := rd.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			if err == io.EOF {
				return buf, nil
			}
			if err != nil {
				return nil, err
			}
			if len(buf) == cap(buf) {
				buf = append(buf, 0)[:len(buf)] // sender lied about the length
			}
		}
	}
	return io.ReadAll(rd)
}

// dispatch runs fns in order, stopping at the first error; a panic becomes
// an error.
func (h *Handler) dispatch(ctx context.Context, fns []EventFunc, ev Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			h.log.Error("webhook: event handler panicked", "msg_id", ev.MessageID, "event_type", ev.Type, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = fmt.Errorf("webhook: event handler panicked: %v", p)
		}
	}()
	for _, fn := range fns {
		if err := fn(ctx, ev); err != nil {
			return err
		}
	}
	return nil
}

var _ http.Handler = (*Handler)(nil)
