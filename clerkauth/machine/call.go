package machine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/unioneyes/authkit/clerkauth"
)

// call asks the Backend API about token. It returns a cacheable answer (a principal or a
// refusal of the token), or an error wrapping clerkauth.ErrBackendAPI, which is not to be
// cached.
func (b *BackendAPI) call(ctx context.Context, ep *bapiEndpoint, token string) (bapiVerdict, error) {
	body, err := json.Marshal(map[string]string{ep.field: token})
	if err != nil {
		return bapiVerdict{}, fmt.Errorf("%w: %w", clerkauth.ErrBackendAPI, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.url, bytes.NewReader(body))
	if err != nil {
		return bapiVerdict{}, fmt.Errorf("%w: %w", clerkauth.ErrBackendAPI, err)
	}
	req.Header.Set("Authorization", "Bearer "+b.secretKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "authkit")
	resp, err := b.client.Do(req)
	if err != nil {
		// The error names the URL (never the token, which is in the body) and the cause.
		b.warn("machine: Clerk Backend API call failed", ep, slog.String("error", err.Error()))
		return bapiVerdict{}, fmt.Errorf("%w: %s: %w", clerkauth.ErrBackendAPI, ep.kind, err)
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
			return bapiVerdict{}, fmt.Errorf("%w: %s: HTTP 200 %w (misconfigured URL?)", clerkauth.ErrBackendAPI, ep.kind, perr)
		case perr != nil:
			b.warn("machine: unexpected Clerk Backend API answer", ep, slog.String("error", perr.Error()))
			return bapiVerdict{}, fmt.Errorf("%w: %s: %w", clerkauth.ErrBackendAPI, ep.kind, perr)
		}
		return v, nil
	case code == http.StatusOK:
		b.warn("machine: Clerk Backend API answer unreadable", ep, slog.String("error", err.Error()))
		return bapiVerdict{}, fmt.Errorf("%w: %s: reading the answer: %w", clerkauth.ErrBackendAPI, ep.kind, err)
	case (code == http.StatusNotFound || code == http.StatusBadRequest || code == http.StatusUnprocessableEntity) &&
		err == nil && isClerkErrorBody(data):
		// Clerk does not know the token, or refuses it as malformed.
		return bapiVerdict{err: fmt.Errorf("%w: Clerk answered %d", clerkauth.ErrMachineTokenInvalid, code)}, nil
	case code == http.StatusNotFound || code == http.StatusBadRequest || code == http.StatusUnprocessableEntity:
		// Not Clerk's error format: most likely not Clerk at all (a URL without /v1, a
		// proxy's error page). Refusing the token would make every key look invalid.
		b.notClerk(ctx, ep, code, resp.Header.Get("Content-Type"))
		return bapiVerdict{}, fmt.Errorf("%w: %s: HTTP %d without Clerk's error body (misconfigured URL?)", clerkauth.ErrBackendAPI, ep.kind, code)
	case code == http.StatusTooManyRequests:
		// The instance's quota is spent (for every use of the secret key, not only
		// this one): stop asking until Clerk says.
		now := b.now()
		wait := bapiRetryAfter(resp.Header.Get("Retry-After"), now)
		b.pause.extend(now.Add(wait))
		b.warn("machine: Clerk Backend API rate limit reached; no call until Retry-After", ep,
			slog.Int("status", code), slog.Duration("retry_after", wait), slog.String("clerk_error", clerkErrorCode(data)))
		return bapiVerdict{}, fmt.Errorf("%w: %w: %s: HTTP 429, no call for %s", clerkauth.ErrBackendAPI, ErrBackendAPIThrottled, ep.kind, wait)
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		if ok, suppressed := b.unauthorizedLog.allow(b.now(), bapiUnauthorizedLogEvery); ok {
			b.log.LogAttrs(ctx, slog.LevelError,
				"machine: Clerk Backend API refused the secret key; machine tokens cannot be verified",
				slog.Int("status", code), slog.String("endpoint", ep.url),
				slog.String("clerk_error", clerkErrorCode(data)), slog.Int("suppressed", suppressed))
		}
		return bapiVerdict{}, fmt.Errorf("%w: %w (HTTP %d)", clerkauth.ErrBackendAPI, ErrBackendAPIUnauthorized, code)
	default:
		b.warn("machine: Clerk Backend API error", ep, slog.Int("status", code),
			slog.String("clerk_error", clerkErrorCode(data)))
		return bapiVerdict{}, fmt.Errorf("%w: %s: HTTP %d", clerkauth.ErrBackendAPI, ep.kind, code)
	}
}

// notClerk logs, at Error level and at most once a minute, an answer that is not
// Clerk's: the operator's to fix (BackendAPIConfig.URL, or a proxy in the way).
func (b *BackendAPI) notClerk(ctx context.Context, ep *bapiEndpoint, status int, contentType string) {
	ok, suppressed := b.misconfigLog.allow(b.now(), bapiUnauthorizedLogEvery)
	if !ok {
		return
	}
	b.log.LogAttrs(ctx, slog.LevelError,
		"machine: Clerk Backend API answer is not Clerk's; is BackendAPIConfig.URL right (it ends in /v1)?",
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
