package clerkauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// errNotClerkAnswer marks a 200 answer that is not the verify endpoint's object: no
// "object", another one, or not a JSON object at all. It is what a wrong
// BackendAPIConfig.URL or a catch-all proxy answers; it never authenticates anything.
var errNotClerkAnswer = errors.New("not the endpoint's object")

// call asks the Backend API about token. It returns a cacheable answer (a principal or a
// refusal of the token), or an error wrapping ErrBackendAPI, which is not to be cached.
func (b *BackendAPI) call(ctx context.Context, ep *bapiEndpoint, token string) (bapiVerdict, error) {
	body, err := json.Marshal(map[string]string{ep.field: token})
	if err != nil {
		return bapiVerdict{}, fmt.Errorf("%w: %w", ErrBackendAPI, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.url, bytes.NewReader(body))
	if err != nil {
		return bapiVerdict{}, fmt.Errorf("%w: %w", ErrBackendAPI, err)
	}
	req.Header.Set("Authorization", "Bearer "+b.secretKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "authkit")
	resp, err := b.client.Do(req)
	if err != nil {
		// The error names the URL (never the token, which is in the body) and the cause.
		b.warn("clerkauth: Clerk Backend API call failed", ep, slog.String("error", err.Error()))
		return bapiVerdict{}, fmt.Errorf("%w: %s: %w", ErrBackendAPI, ep.kind, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBackendAPIResponseBytes+1))
	if err == nil && len(data) > maxBackendAPIResponseBytes {
		err = errors.New("response body too large")
	}

	switch code := resp.StatusCode; {
	case code == http.StatusOK && err == nil:
		v, perr := parseBackendAPIAnswer(ep, data, b.now())
		switch {
		case errors.Is(perr, errNotClerkAnswer):
			// A 200 that is not the endpoint's object: a wrong URL or a catch-all proxy
			// answering everything. Never a principal, never cached.
			b.notClerk(ctx, ep, code, resp.Header.Get("Content-Type"))
			return bapiVerdict{}, fmt.Errorf("%w: %s: HTTP 200 %w (misconfigured URL?)", ErrBackendAPI, ep.kind, perr)
		case perr != nil:
			b.warn("clerkauth: unexpected Clerk Backend API answer", ep, slog.String("error", perr.Error()))
			return bapiVerdict{}, fmt.Errorf("%w: %s: %w", ErrBackendAPI, ep.kind, perr)
		}
		return v, nil
	case code == http.StatusOK:
		b.warn("clerkauth: Clerk Backend API answer unreadable", ep, slog.String("error", err.Error()))
		return bapiVerdict{}, fmt.Errorf("%w: %s: reading the answer: %w", ErrBackendAPI, ep.kind, err)
	case (code == http.StatusNotFound || code == http.StatusBadRequest || code == http.StatusUnprocessableEntity) &&
		err == nil && isClerkErrorBody(data):
		// Clerk does not know the token, or refuses it as malformed.
		return bapiVerdict{err: fmt.Errorf("%w: Clerk answered %d", ErrMachineTokenInvalid, code)}, nil
	case code == http.StatusNotFound || code == http.StatusBadRequest || code == http.StatusUnprocessableEntity:
		// Not Clerk's error format: most likely not Clerk at all (a URL without /v1, a
		// proxy's error page). Refusing the token would make every key look invalid.
		b.notClerk(ctx, ep, code, resp.Header.Get("Content-Type"))
		return bapiVerdict{}, fmt.Errorf("%w: %s: HTTP %d without Clerk's error body (misconfigured URL?)", ErrBackendAPI, ep.kind, code)
	case code == http.StatusTooManyRequests:
		// The instance's quota is spent (for every use of the secret key, not only
		// this one): stop asking until Clerk says.
		now := b.now()
		wait := bapiRetryAfter(resp.Header.Get("Retry-After"), now)
		b.pause.extend(now.Add(wait))
		b.warn("clerkauth: Clerk Backend API rate limit reached; no call until Retry-After", ep,
			slog.Int("status", code), slog.Duration("retry_after", wait), slog.String("clerk_error", clerkErrorCode(data)))
		return bapiVerdict{}, fmt.Errorf("%w: %w: %s: HTTP 429, no call for %s", ErrBackendAPI, ErrBackendAPIThrottled, ep.kind, wait)
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		if ok, suppressed := b.unauthorizedLog.allow(b.now(), bapiUnauthorizedLogEvery); ok {
			b.log.LogAttrs(ctx, slog.LevelError,
				"clerkauth: Clerk Backend API refused the secret key; machine tokens cannot be verified",
				slog.Int("status", code), slog.String("endpoint", ep.url),
				slog.String("clerk_error", clerkErrorCode(data)), slog.Int("suppressed", suppressed))
		}
		return bapiVerdict{}, fmt.Errorf("%w: %w (HTTP %d)", ErrBackendAPI, ErrBackendAPIUnauthorized, code)
	default:
		b.warn("clerkauth: Clerk Backend API error", ep, slog.Int("status", code),
			slog.String("clerk_error", clerkErrorCode(data)))
		return bapiVerdict{}, fmt.Errorf("%w: %s: HTTP %d", ErrBackendAPI, ep.kind, code)
	}
}

// bapiResponse is what the verify endpoints answer with (the members of the three kinds
// of object that matter here).
type bapiResponse struct {
	ID         string          `json:"id"`
	Name       string          `json:"name"`
	ClientID   string          `json:"client_id"`
	Subject    string          `json:"subject"`
	Scopes     []string        `json:"scopes"`
	Claims     json.RawMessage `json:"claims"`
	Revoked    bool            `json:"revoked"`
	Expired    bool            `json:"expired"`
	Expiration *int64          `json:"expiration"`
}

// parseBackendAPIAnswer turns a 200 answer into a principal or a refusal. The answer
// must be the endpoint's object ("object" is "api_key", "machine_to_machine_token" or
// "clerk_idp_oauth_access_token", Backend API OpenAPI 2026-05-12), or, from the OAuth
// endpoint only, exactly {"active": false} (an expired token); anything else is an error
// wrapping errNotClerkAnswer, never a principal. An accepted credential must have an id
// and a subject.
func parseBackendAPIAnswer(ep *bapiEndpoint, data []byte, now time.Time) (bapiVerdict, error) {
	// "object" and "active" are matched exactly (encoding/json would take "Object").
	var members map[string]json.RawMessage
	if err := json.Unmarshal(data, &members); err != nil || members == nil {
		return bapiVerdict{}, fmt.Errorf("%w: not a JSON object", errNotClerkAnswer)
	}
	var object string
	rawObject, hasObject := members["object"]
	if hasObject && json.Unmarshal(rawObject, &object) != nil {
		hasObject = false
	}
	var active *bool
	inactive := json.Unmarshal(members["active"], &active) == nil && active != nil && !*active
	if !hasObject && inactive && ep.kind == KindOAuthToken && len(members) == 1 {
		// {"active": false}, RFC 7662 style: Clerk does not say why (it answers so for
		// expired tokens).
		return bapiVerdict{err: fmt.Errorf("%w: Clerk answered inactive", ErrMachineTokenInvalid)}, nil
	}
	if object != ep.object {
		// The value is not quoted: whatever answered is not Clerk, and might echo what
		// it was sent.
		return bapiVerdict{}, fmt.Errorf("%w: want \"object\": %q", errNotClerkAnswer, ep.object)
	}
	var r bapiResponse
	if err := json.Unmarshal(data, &r); err != nil {
		return bapiVerdict{}, fmt.Errorf("decoding the answer: %w", err)
	}
	if inactive && ep.kind == KindOAuthToken {
		return bapiVerdict{err: fmt.Errorf("%w: Clerk answered inactive", ErrMachineTokenInvalid)}, nil
	}
	if r.ID == "" {
		return bapiVerdict{}, errors.New("answer has no id")
	}
	var exp time.Time
	if r.Expiration != nil {
		exp = time.UnixMilli(*r.Expiration)
	}
	switch {
	case r.Revoked:
		return bapiVerdict{err: ErrMachineTokenRevoked}, nil
	case r.Expired:
		return bapiVerdict{err: fmt.Errorf("%w: Clerk answered expired", ErrMachineTokenExpired)}, nil
	}
	if err := expiredAt(exp, now); err != nil {
		return bapiVerdict{err: err}, nil
	}
	if r.Subject == "" {
		return bapiVerdict{}, errors.New("answer has no subject")
	}
	p := &Principal{
		Kind:      ep.kind,
		ID:        r.ID,
		Subject:   r.Subject,
		Name:      r.Name,
		Scopes:    r.Scopes,
		ExpiresAt: exp,
	}
	if ep.kind == KindOAuthToken {
		p.Name = r.ClientID
	}
	if c := bytes.TrimSpace(r.Claims); len(c) > 0 && !bytes.Equal(c, []byte("null")) {
		p.Claims = json.RawMessage(c)
	}
	return bapiVerdict{p: p}, nil
}

// bapiPause is the time until which no call is made, after a 429.
type bapiPause struct {
	mu    sync.Mutex
	until time.Time
}

// extend makes the pause last at least until until (never shorter: of two 429 answers to
// calls in flight together, the longer Retry-After wins).
func (p *bapiPause) extend(until time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if until.After(p.until) {
		p.until = until
	}
}

// active reports whether the pause runs at now, and until when. A pause never lasts
// more than MaxBackendAPIRetryAfter from now, even if the clock moved back.
func (p *bapiPause) active(now time.Time) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !now.Before(p.until) {
		return time.Time{}, false
	}
	if limit := now.Add(MaxBackendAPIRetryAfter); p.until.After(limit) {
		p.until = limit
	}
	return p.until, true
}

// bapiRetryAfter is how long to pause after a 429 with the Retry-After value v (delay
// seconds or an HTTP date, RFC 9110 §10.2.3): DefaultBackendAPIRetryAfter when v is
// absent or unusable, at least minBackendAPIRetryAfter, at most MaxBackendAPIRetryAfter.
func bapiRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	d := DefaultBackendAPIRetryAfter
	switch {
	case v == "":
	case strings.Trim(v, "0123456789") == "":
		secs, err := strconv.ParseUint(v, 10, 64)
		if err != nil || secs > uint64(MaxBackendAPIRetryAfter/time.Second) {
			return MaxBackendAPIRetryAfter // too large to parse is large
		}
		d = time.Duration(secs) * time.Second
	default:
		if t, err := http.ParseTime(v); err == nil {
			d = t.Sub(now)
		}
	}
	return min(max(d, minBackendAPIRetryAfter), MaxBackendAPIRetryAfter)
}

// isClerkErrorBody reports whether data is Clerk's error format (Backend API OpenAPI:
// {"errors":[{"message":…,"long_message":…,"code":…}]}): a JSON object whose "errors"
// is a non-empty array of objects, each with a non-empty string "code" (member names
// matched exactly, not as encoding/json matches struct fields). A generic 404 page, an
// empty body or some other JSON is not.
func isClerkErrorBody(data []byte) bool {
	var body map[string]json.RawMessage
	if json.Unmarshal(data, &body) != nil {
		return false
	}
	var errs []map[string]json.RawMessage
	if json.Unmarshal(body["errors"], &errs) != nil || len(errs) == 0 {
		return false
	}
	for _, e := range errs {
		var code string
		if e == nil || json.Unmarshal(e["code"], &code) != nil || code == "" {
			return false
		}
	}
	return true
}

// truncateForLog shortens a header value taken from an answer before it is logged.
func truncateForLog(s string) string {
	const limit = 100
	if len(s) > limit {
		return s[:limit] + "…"
	}
	return s
}

// clerkErrorCode returns the code of the first error of a Clerk error body
// ({"errors":[{"code":"…"}]}), if it is a short identifier: Clerk's messages are not
// logged, in case one quotes what was sent.
func clerkErrorCode(data []byte) string {
	var body struct {
		Errors []struct {
			Code string `json:"code"`
		} `json:"errors"`
	}
	if json.Unmarshal(data, &body) != nil || len(body.Errors) == 0 {
		return ""
	}
	code := body.Errors[0].Code
	if len(code) > 64 || strings.ContainsFunc(code, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_')
	}) {
		return ""
	}
	return code
}

// notClerk logs, at Error level and at most once a minute, an answer that is not
// Clerk's: the operator's to fix (BackendAPIConfig.URL, or a proxy in the way).
func (b *BackendAPI) notClerk(ctx context.Context, ep *bapiEndpoint, status int, contentType string) {
	ok, suppressed := b.misconfigLog.allow(b.now(), bapiUnauthorizedLogEvery)
	if !ok {
		return
	}
	b.log.LogAttrs(ctx, slog.LevelError,
		"clerkauth: Clerk Backend API answer is not Clerk's; is BackendAPIConfig.URL right (it ends in /v1)?",
		slog.Int("status", status), slog.String("endpoint", ep.url),
		slog.String("content_type", truncateForLog(contentType)), slog.Int("suppressed", suppressed))
}

// warn logs a failure of the Backend API, at most once per bapiWarnLogEvery.
func (b *BackendAPI) warn(msg string, ep *bapiEndpoint, attrs ...slog.Attr) {
	ok, suppressed := b.warnLog.allow(b.now(), bapiWarnLogEvery)
	if !ok {
		return
	}
	attrs = append(attrs, slog.String("kind", string(ep.kind)), slog.String("endpoint", ep.url),
		slog.Int("suppressed", suppressed))
	b.log.LogAttrs(context.Background(), slog.LevelWarn, msg, attrs...)
}

// bapiLogLimiter lets one log line through per interval and counts the others.
type bapiLogLimiter struct {
	mu         sync.Mutex
	next       time.Time
	suppressed int
}

// allow reports whether a line may be logged at now, and how many were suppressed since
// the last one.
func (l *bapiLogLimiter) allow(now time.Time, every time.Duration) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Before(l.next) {
		l.suppressed++
		return false, 0
	}
	n := l.suppressed
	l.suppressed = 0
	l.next = now.Add(every)
	return true, n
}
