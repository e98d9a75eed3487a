package webhook

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/unioneyes/authkit/clerkauth/store"
	"github.com/unioneyes/authkit/orgctx"
)

// Defaults applied by [NewHandler] to zero fields of [HandlerConfig].
const (
	defaultDedupeTTL  = 72 * time.Hour
	defaultClaimLease = 2 * time.Minute
)

// EventFunc handles one event. A nil error acknowledges the message (2xx);
// any other error makes the Handler answer 500 so that Svix retries the
// message later, with the same [Event.MessageID]. An error wrapping
// [ErrMalformedPayload] is the exception: the event can never be processed
// by this function, so it is logged, the functions registered after it
// still run, and the message is acknowledged (unless one of them fails)
// instead of retried.
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
	Dedupe store.Dedupe

	// DedupeTTL is how long a processed id is remembered. Zero means 72 h,
	// beyond Svix's retry schedule (about 27.6 h) with room for manual
	// replays; keep it above 24 h.
	DedupeTTL time.Duration

	// ClaimLease is how long a delivery holds an id while its handlers
	// run. Zero means 2 minutes: Svix gives up on a delivery after 15 s,
	// so the lease only outlives a process that crashed mid-delivery. It
	// must be shorter than DedupeTTL.
	ClaimLease time.Duration

	// Logger receives one record per failed or unprocessable delivery
	// (never a secret or a signature; the message id and event type are
	// logged). Rejections that any client can cause without the secret (a
	// failed verification, a body too large or unreadable) are logged at
	// most once per 10 s per kind, by the Verifier's clock, with the
	// number of lines left out ("suppressed"), so that a flood of forged
	// requests cannot flood the logs. Nil means [slog.Default].
	Logger *slog.Logger

	// MaxBodyBytes is the largest body read; a larger one is answered 413
	// without reading it further. Zero means the Verifier's
	// [Verifier.MaxBodyBytes]; a larger value is refused.
	MaxBodyBytes int64

	// OnFailure writes the Handler's refusals (400, 405, 409, 413, 500).
	// Nil means [orgctx.WriteFailure]. The Failure has no Realm: Svix
	// signs its requests and sends no bearer credentials, so no challenge
	// is due.
	OnFailure orgctx.FailureHandler
}

// Handler is the http.Handler of a Clerk webhook endpoint. For each request
// it:
//
//  1. answers 405 with "Allow: POST" to anything but POST;
//  2. reads at most MaxBodyBytes through [http.MaxBytesReader] (413 above),
//     into a buffer that grows with the bytes received (a declared
//     Content-Length reserves at most 64 KiB up front);
//  3. verifies the raw bytes with the Verifier (400 on any failure, with a
//     generic body; the reason is logged, at most once per 10 s);
//  4. parses the envelope; a verified but malformed body is acknowledged
//     (200) and logged, since a retry would carry the same bytes;
//  5. answers 200 "ignored" for an event type with no registered function;
//  6. claims the message id in the Dedupe store, under a random owner
//     token of this delivery: a done id is answered 200 "duplicate", an id
//     another delivery is processing right now is answered 409 with
//     Retry-After (the claim lease, in seconds; see below), a store failure
//     500;
//  7. runs the functions registered for the type, in registration order.
//     A function returning an error that wraps [ErrMalformedPayload] is
//     logged and the next ones still run (one function's view of the
//     payload does not decide for the others); any other error or a panic
//     stops the chain. Then the Handler marks the id done and answers 200
//     ("ok", or "ignored" when every function found the payload
//     malformed), or, after an error or a panic, releases its claim and
//     answers 500, so that Svix's retry runs the functions again. A panic
//     with [http.ErrAbortHandler] releases the claim too, then panics again
//     with it, for net/http to abort the response.
//
// A 409 rather than a 2xx for a concurrent duplicate keeps the event from
// being lost if the first delivery fails (see "Design notes" in the
// package documentation).
//
// A claim is a lease ([HandlerConfig.ClaimLease]): if a delivery outlives
// it, another delivery may take the id over and run the functions while
// the first one still does. This is why functions must be idempotent. The
// owner token keeps it to that one overlap: the first delivery's Release,
// should it fail, deletes only its own claim, never the second one's, so
// no third delivery joins in. Set ClaimLease well above the slowest run.
//
// Refusals (400, 405, 409, 413, 500) are written by
// [HandlerConfig.OnFailure], by default with the module's refusal body,
// {"error":"<code>","detail":"<text>"} with a code of package orgctx
// (invalid_request, method_not_allowed, conflict, content_too_large,
// internal_error) and a generic text, never the reason, which is in
// [orgctx.Failure.Err]; answers of 200 carry {"status":"ok"}, "duplicate"
// or "ignored".
//
// Register functions with [Handler.On] and the typed helpers
// ([Handler.OnUserCreated], …). Registration is safe at any time, also
// while serving; a request sees the registrations made before it started
// dispatching.
type Handler struct {
	verifier *Verifier
	dedupe   store.Dedupe
	ttl      time.Duration
	lease    time.Duration
	log      *slog.Logger
	maxBody  int64
	fail     orgctx.FailureHandler
	mu       sync.Mutex                             // serialises writers of routes
	routes   atomic.Pointer[map[string][]EventFunc] // copy on write

	verifyLog, tooLargeLog, readLog logLimiter
}

// NewHandler validates cfg and returns a Handler with no registered
// function. It fails with a [ConfigError] naming the field when Verifier
// is nil, a duration or size is negative, ClaimLease is not shorter than
// DedupeTTL, MaxBodyBytes exceeds the Verifier's or Dedupe holds a nil
// pointer.
func NewHandler(cfg HandlerConfig) (*Handler, error) {
	switch {
	case cfg.Verifier == nil:
		return nil, configError("HandlerConfig.Verifier", "is required")
	case cfg.Dedupe != nil && isNil(cfg.Dedupe):
		return nil, configError("HandlerConfig.Dedupe", fmt.Sprintf("is a nil %T", cfg.Dedupe))
	case cfg.DedupeTTL < 0:
		return nil, configError("HandlerConfig.DedupeTTL", "must not be negative")
	case cfg.ClaimLease < 0:
		return nil, configError("HandlerConfig.ClaimLease", "must not be negative")
	case cfg.MaxBodyBytes < 0:
		return nil, configError("HandlerConfig.MaxBodyBytes", "must not be negative")
	}
	h := &Handler{
		verifier: cfg.Verifier,
		dedupe:   cfg.Dedupe,
		ttl:      cfg.DedupeTTL,
		lease:    cfg.ClaimLease,
		log:      cfg.Logger,
		maxBody:  cfg.MaxBodyBytes,
		fail:     cfg.OnFailure,
	}
	if h.ttl == 0 {
		h.ttl = defaultDedupeTTL
	}
	if h.lease == 0 {
		h.lease = defaultClaimLease
	}
	if h.lease >= h.ttl {
		return nil, configError("HandlerConfig.ClaimLease", fmt.Sprintf("%s must be shorter than DedupeTTL (%s)", h.lease, h.ttl))
	}
	if h.maxBody == 0 {
		h.maxBody = cfg.Verifier.MaxBodyBytes()
	}
	if h.maxBody > cfg.Verifier.MaxBodyBytes() {
		return nil, configError("HandlerConfig.MaxBodyBytes", fmt.Sprintf("%d exceeds the Verifier's (%d)", h.maxBody, cfg.Verifier.MaxBodyBytes()))
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.fail == nil {
		h.fail = orgctx.WriteFailure
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
// registered for one type; they run in registration order. The first
// error stops the chain (every function runs again on Svix's retry),
// except an error wrapping [ErrMalformedPayload], which is logged and lets
// the next functions run. On panics, as [http.ServeMux.Handle] does, when
// eventType is empty or fn is nil: a setup mistake.
func (h *Handler) On(eventType string, fn EventFunc) {
	if eventType == "" {
		panic("webhook: On: empty event type")
	}
	if fn == nil {
		panic("webhook: On: nil function for " + eventType)
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

// Bodies of the 200 answers: small, generic, never the reason.
const (
	bodyOK        = `{"status":"ok"}` + "\n"
	bodyDuplicate = `{"status":"duplicate"}` + "\n"
	bodyIgnored   = `{"status":"ignored"}` + "\n"
)

// respond writes a 200 answer with one of the bodies above.
func respond(w http.ResponseWriter, body string) {
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, body)
}

// Reasons of the refusals that wrap no sentinel of their own.
var (
	errMethod     = errors.New("webhook: method not allowed")
	errInProgress = errors.New("webhook: message is being processed by another delivery")
)

// refuse answers r with a refusal: status, code and a generic detail,
// never the reason, which is err, without a challenge (Svix signs its
// requests; it sends no bearer credentials).
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, status int, code, detail string, err error) {
	f := orgctx.Failure{Status: status, Code: code, Detail: detail, Err: err}
	if status == http.StatusConflict {
		f.RetryAfter = h.lease
	}
	h.fail(w, r, f)
}

func (h *Handler) refuseBadRequest(w http.ResponseWriter, r *http.Request, err error) {
	h.refuse(w, r, http.StatusBadRequest, orgctx.CodeInvalidRequest, "bad request", err)
}

func (h *Handler) refuseInternal(w http.ResponseWriter, r *http.Request, err error) {
	h.refuse(w, r, http.StatusInternalServerError, orgctx.CodeInternal, "internal error", err)
}

// ServeHTTP implements [http.Handler]; see [Handler] for the steps and the
// status codes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.refuse(w, r, http.StatusMethodNotAllowed, orgctx.CodeMethodNotAllowed, "method not allowed", errMethod)
		return
	}
	body, err := h.readBody(w, r)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			if ok, n := h.tooLargeLog.allow(h.verifier.now(), rejectLogEvery); ok {
				h.log.Warn("webhook: request body too large", "limit", h.maxBody, "remote_addr", r.RemoteAddr, "suppressed", n)
			}
			h.refuse(w, r, http.StatusRequestEntityTooLarge, orgctx.CodeContentTooLarge, "request body too large", fmt.Errorf("%w: over %d bytes", ErrBodyTooLarge, h.maxBody))
			return
		}
		if ok, n := h.readLog.allow(h.verifier.now(), rejectLogEvery); ok {
			h.log.Warn("webhook: reading request body failed", "error", err, "remote_addr", r.RemoteAddr, "suppressed", n)
		}
		h.refuseBadRequest(w, r, fmt.Errorf("webhook: reading the body: %w", err))
		return
	}

	msgID, err := h.verifier.verify(r.Header, body)
	if err != nil {
		// The error is one of our sentinels with non-secret context; the audit
		// record (when an audit middleware wraps this endpoint) gets the
		// sentinel's text only.
		annotateFailure(r, err)
		if ok, n := h.verifyLog.allow(h.verifier.now(), rejectLogEvery); ok {
			h.log.Warn("webhook: verification failed", "error", err, "remote_addr", r.RemoteAddr, "suppressed", n)
		}
		// readBody has kept the body within the Verifier's limit (NewHandler
		// refuses a larger MaxBodyBytes), so this is never ErrBodyTooLarge.
		h.refuseBadRequest(w, r, err)
		return
	}

	ev, err := ParseEvent(body)
	if err != nil {
		h.log.Error("webhook: verified message is not a Clerk event; acknowledged without processing", "msg_id", msgID, "error", err)
		respond(w, bodyIgnored)
		return
	}
	ev.MessageID = msgID
	fns := (*h.routes.Load())[ev.Type]
	if len(fns) == 0 {
		h.log.Debug("webhook: no handler for event type; acknowledged", "msg_id", msgID, "event_type", ev.Type)
		respond(w, bodyIgnored)
		return
	}

	ctx := r.Context()
	// A fencing token of this delivery: Release deletes only its own claim.
	owner := rand.Text()
	claim, err := h.dedupe.Claim(ctx, msgID, owner, h.lease)
	if err == nil && claim != store.ClaimAcquired && claim != store.ClaimInProgress && claim != store.ClaimDone {
		err = fmt.Errorf("webhook: dedupe store returned an invalid claim result %d", int(claim))
	}
	if err != nil {
		h.log.Error("webhook: dedupe claim failed", "msg_id", msgID, "event_type", ev.Type, "error", err)
		h.refuseInternal(w, r, err)
		return
	}
	switch claim {
	case store.ClaimDone:
		h.log.Debug("webhook: duplicate message; acknowledged", "msg_id", msgID, "event_type", ev.Type)
		respond(w, bodyDuplicate)
		return
	case store.ClaimInProgress:
		h.log.Info("webhook: message is being processed by another delivery; asking Svix to retry", "msg_id", msgID, "event_type", ev.Type)
		h.refuse(w, r, http.StatusConflict, orgctx.CodeConflict, "message is being processed, retry later", errInProgress)
		return
	}

	// The claim is ours: end it with Done or Release even if the client
	// went away (Svix's 15 s timeout cancels ctx).
	storeCtx := context.WithoutCancel(ctx)
	malformed, err := h.dispatch(ctx, fns, ev)
	if err != nil {
		if errors.Is(err, errAborted) {
			h.log.Warn("webhook: event handler aborted the request (http.ErrAbortHandler); released for Svix to retry", "msg_id", msgID, "event_type", ev.Type)
		} else {
			h.log.Error("webhook: event handler failed; released for Svix to retry", "msg_id", msgID, "event_type", ev.Type, "error", err)
		}
		if rerr := h.dedupe.Release(storeCtx, msgID, owner); rerr != nil {
			h.log.Error("webhook: releasing dedupe claim failed; retries wait for the lease to expire", "msg_id", msgID, "error", rerr)
		}
		if errors.Is(err, errAborted) {
			panic(http.ErrAbortHandler)
		}
		h.refuseInternal(w, r, err)
		return
	}
	resp := bodyOK
	for _, merr := range malformed {
		h.log.Error("webhook: event payload cannot be processed; acknowledged without retry", "msg_id", msgID, "event_type", ev.Type, "error", merr)
	}
	if len(malformed) == len(fns) {
		resp = bodyIgnored
	}
	if derr := h.dedupe.Done(storeCtx, msgID, h.ttl); derr != nil {
		// The work is done; answering 5xx would only make Svix redeliver
		// it. A later duplicate may run the handlers again.
		h.log.Error("webhook: marking message done failed", "msg_id", msgID, "event_type", ev.Type, "error", derr)
	}
	respond(w, resp)
}

// initialBodyBuffer bounds the buffer readBody allocates before any byte
// of the body has arrived: a declared Content-Length is a promise, not
// bytes, and a client may declare the maximum and send nothing.
const initialBodyBuffer = 64 << 10

// readBody reads the whole body through http.MaxBytesReader, refusing
// early a declared Content-Length above the limit. The buffer starts at
// the declared length capped to initialBodyBuffer (512 bytes when none is
// declared) and doubles as bytes arrive, never past the declared length
// while the sender keeps to it, so memory follows what was received.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > h.maxBody {
		return nil, &http.MaxBytesError{Limit: h.maxBody}
	}
	if r.Body == nil { // only possible when ServeHTTP is called directly
		return []byte{}, nil
	}
	rd := http.MaxBytesReader(w, r.Body, h.maxBody)
	defer rd.Close()
	declared := r.ContentLength + 1 // +1 so that the final EOF read does not grow the buffer
	size := int64(512)
	if r.ContentLength > 0 {
		size = min(declared, initialBodyBuffer)
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			next := 2 * int64(cap(buf))
			if c := int64(cap(buf)); r.ContentLength > 0 && c < declared && next > declared {
				next = declared
			}
			buf = slices.Grow(buf, int(next)-len(buf))
		}
		n, err := rd.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// errAborted reports that a function panicked with http.ErrAbortHandler.
var errAborted = errors.New("webhook: event handler aborted the request")

// dispatch runs fns in order. An error wrapping ErrMalformedPayload is
// collected and the next function runs; any other error, or a panic,
// stops the chain and is returned (errAborted for a panic with
// http.ErrAbortHandler).
func (h *Handler) dispatch(ctx context.Context, fns []EventFunc, ev Event) (malformed []error, err error) {
	for _, fn := range fns {
		ferr := h.call(ctx, fn, ev)
		switch {
		case ferr == nil:
		case errors.Is(ferr, ErrMalformedPayload):
			malformed = append(malformed, ferr)
		default:
			return malformed, ferr
		}
	}
	return malformed, nil
}

// call runs fn, turning a panic into an error.
func (h *Handler) call(ctx context.Context, fn EventFunc, ev Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler { // net/http compares the value too
				err = errAborted
				return
			}
			h.log.Error("webhook: event handler panicked", "msg_id", ev.MessageID, "event_type", ev.Type, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = fmt.Errorf("webhook: event handler panicked: %v", p)
		}
	}()
	return fn(ctx, ev)
}

var _ http.Handler = (*Handler)(nil)
