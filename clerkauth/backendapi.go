package clerkauth

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/maypok86/otter/v2"
	"golang.org/x/sync/singleflight"
)

// Defaults and limits of BackendAPIConfig and BackendAPI.
const (
	// DefaultBackendAPIURL is Clerk's Backend API.
	DefaultBackendAPIURL = "https://api.clerk.com/v1"
	// DefaultBackendAPITimeout bounds one verification call when BackendAPIConfig.HTTPClient
	// is nil or has no Timeout (Clerk's Go SDK uses the same).
	DefaultBackendAPITimeout = 5 * time.Second
	// DefaultMachineCacheSize is the number of tokens a BackendAPI remembers.
	DefaultMachineCacheSize = 10_000
	// DefaultMachineCacheTTL is how long a token Clerk accepted is accepted again without
	// asking Clerk (never past the token's own expiration).
	DefaultMachineCacheTTL = 60 * time.Second
	// DefaultMachineNegativeCacheTTL is how long a token Clerk refused (unknown, revoked,
	// expired) is refused again without asking Clerk.
	DefaultMachineNegativeCacheTTL = 10 * time.Second
	// MaxMachineTokenBytes caps the length of a Clerk machine token; a longer one is
	// refused (ErrMachineTokenInvalid) without asking Clerk.
	MaxMachineTokenBytes = 512
	// maxBackendAPIResponseBytes caps the body of a Backend API answer that is read.
	maxBackendAPIResponseBytes = 64 << 10
	// bapiUnauthorizedLogEvery and bapiWarnLogEvery space the log lines of a failing
	// Backend API, so that an outage does not flood the logs.
	bapiUnauthorizedLogEvery = time.Minute
	bapiWarnLogEvery         = 10 * time.Second
)

// ErrBackendAPIUnauthorized is wrapped (with ErrBackendAPI) when Clerk's Backend API
// answers 401 or 403: the configured secret key was refused. It is the operator's to fix
// (a revoked, rotated or wrong-instance key); clients get 503 through ErrBackendAPI, and
// the BackendAPI logs it at Error level, at most once a minute.
var ErrBackendAPIUnauthorized = errors.New("clerkauth: Clerk Backend API refused the configured secret key")

// BackendAPIConfig configures NewBackendAPI. Zero fields take the documented defaults;
// NewBackendAPI checks everything once and copies what it keeps.
type BackendAPIConfig struct {
	// SecretKey is the instance's secret key ("sk_live_…"), sent as
	// "Authorization: Bearer …" to the Backend API. Required. It is never logged nor put in
	// an error.
	SecretKey string

	// URL is the Backend API's base URL, default DefaultBackendAPIURL. It must be https
	// (http is allowed only for a loopback host, for tests); a trailing slash is ignored.
	URL string

	// HTTPClient makes the calls. Nil means a client with a DefaultBackendAPITimeout
	// timeout. A given client is copied, not modified; the copy gets a
	// DefaultBackendAPITimeout timeout when it has none, and never follows redirects (a
	// redirect would resend the token elsewhere).
	HTTPClient *http.Client

	// CacheSize bounds the number of tokens remembered (default DefaultMachineCacheSize).
	CacheSize int

	// MaxCacheTTL is how long a token Clerk accepted is accepted again without asking
	// Clerk: default DefaultMachineCacheTTL (60 s), never past the token's expiration. It
	// is also how long a revocation may take to be noticed.
	MaxCacheTTL time.Duration

	// NegativeCacheTTL is how long a token Clerk refused (404, revoked, expired) is refused
	// again without asking Clerk: default DefaultMachineNegativeCacheTTL (10 s).
	NegativeCacheTTL time.Duration

	// Now is the clock; nil means time.Now.
	Now func() time.Time

	// Logger receives the Backend API's failures (never a token or the secret key); nil
	// means slog.Default().
	Logger *slog.Logger
}

// BackendAPI is a MachineVerifier of Clerk's opaque machine tokens: API keys ("ak_…"),
// machine-to-machine tokens ("mt_…") and OAuth access tokens ("oat_…"), each verified
// with its Backend API endpoint (POST /api_keys/verify, /m2m_tokens/verify,
// /oauth_applications/access_tokens/verify) using the instance's secret key. Any other
// form of token is left to other verifiers (ErrTokenType), without a request.
//
// Answers are cached in process, keyed by a SHA-256 of the token (never the token): an
// accepted token for MaxCacheTTL, never past its expiration; a refused one (unknown,
// revoked, expired) for NegativeCacheTTL. Failures of the Backend API itself (ErrBackendAPI:
// unreachable, timeouts, 429, 5xx, a refused secret key) are never cached. Concurrent
// verifications of one token share one call. A BackendAPI is safe for concurrent use and
// starts no goroutine of its own.
type BackendAPI struct {
	secretKey string
	endpoints [3]bapiEndpoint // indexed by bapiKind
	client    *http.Client
	cache     *otter.Cache[[sha256.Size]byte, bapiEntry]
	maxTTL    time.Duration
	negTTL    time.Duration
	now       func() time.Time
	log       *slog.Logger
	group     singleflight.Group

	unauthorizedLog bapiLogLimiter
	warnLog         bapiLogLimiter
}

var _ MachineVerifier = (*BackendAPI)(nil)

// bapiEndpoint is how one kind of token is verified.
type bapiEndpoint struct {
	kind   TokenKind
	prefix string
	url    string // full URL of the verify endpoint
	field  string // the JSON member carrying the token
	object string // the "object" Clerk answers with
}

// bapiEntry is a cached answer: a principal (read-only snapshot) or a refusal, usable
// while now is before until.
type bapiEntry struct {
	p     *Principal
	err   error
	until time.Time
}

// NewBackendAPI returns a verifier of Clerk's machine tokens.
func NewBackendAPI(cfg BackendAPIConfig) (*BackendAPI, error) {
	if strings.TrimSpace(cfg.SecretKey) == "" {
		return nil, fmt.Errorf("%w: BackendAPIConfig.SecretKey is required", ErrConfig)
	}
	if strings.ContainsFunc(cfg.SecretKey, func(r rune) bool { return r <= ' ' || r == 0x7f || r > 0x7e }) {
		// Never quote the key: it may be a real one with a stray newline.
		return nil, fmt.Errorf("%w: BackendAPIConfig.SecretKey contains whitespace or control characters", ErrConfig)
	}
	if cfg.CacheSize < 0 || cfg.MaxCacheTTL < 0 || cfg.NegativeCacheTTL < 0 {
		return nil, fmt.Errorf("%w: negative BackendAPIConfig value", ErrConfig)
	}
	base, err := bapiBaseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	b := &BackendAPI{
		secretKey: cfg.SecretKey,
		maxTTL:    cmp.Or(cfg.MaxCacheTTL, DefaultMachineCacheTTL),
		negTTL:    cmp.Or(cfg.NegativeCacheTTL, DefaultMachineNegativeCacheTTL),
		now:       cfg.Now,
		log:       cfg.Logger,
		endpoints: [3]bapiEndpoint{
			{kind: KindAPIKey, prefix: "ak_", url: base + "/api_keys/verify", field: "secret", object: "api_key"},
			{kind: KindM2MToken, prefix: "mt_", url: base + "/m2m_tokens/verify", field: "token", object: "machine_to_machine_token"},
			{kind: KindOAuthToken, prefix: "oat_", url: base + "/oauth_applications/access_tokens/verify", field: "access_token", object: "clerk_idp_oauth_access_token"},
		},
	}
	if b.now == nil {
		b.now = time.Now
	}
	if b.log == nil {
		b.log = slog.Default()
	}
	b.client = &http.Client{}
	if cfg.HTTPClient != nil {
		*b.client = *cfg.HTTPClient
	}
	if b.client.Timeout <= 0 {
		b.client.Timeout = DefaultBackendAPITimeout
	}
	b.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	b.cache, err = otter.New(&otter.Options[[sha256.Size]byte, bapiEntry]{
		MaximumSize: cmp.Or(cfg.CacheSize, DefaultMachineCacheSize),
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return b, nil
}

// bapiBaseURL checks and normalises the Backend API's base URL.
func bapiBaseURL(raw string) (string, error) {
	if raw == "" {
		return DefaultBackendAPIURL, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("%w: BackendAPIConfig.URL: %w", ErrConfig, err)
	}
	switch {
	case u.Host == "" || u.Opaque != "":
		return "", fmt.Errorf("%w: BackendAPIConfig.URL %q is not an absolute URL", ErrConfig, raw)
	case u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "", fmt.Errorf("%w: BackendAPIConfig.URL must have no user info, query or fragment", ErrConfig)
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	default:
		return "", fmt.Errorf("%w: BackendAPIConfig.URL %q must be https (http only for a loopback host)", ErrConfig, raw)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// endpointFor returns how token is verified, or ErrTokenType for a token of another form,
// or ErrMachineTokenInvalid for a Clerk-prefixed token of an impossible shape. Nothing is
// sent for either error.
func (b *BackendAPI) endpointFor(token string) (*bapiEndpoint, error) {
	for i := range b.endpoints {
		ep := &b.endpoints[i]
		if !strings.HasPrefix(token, ep.prefix) {
			continue
		}
		if !machineTokenShapeOK(token, len(ep.prefix)) {
			return nil, fmt.Errorf("%w: malformed %s", ErrMachineTokenInvalid, ep.kind)
		}
		return ep, nil
	}
	return nil, fmt.Errorf("clerkauth: BackendAPI verifies only ak_, mt_ and oat_ tokens: %w", ErrTokenType)
}

// machineTokenShapeOK reports whether token, which starts with a prefix of prefixLen
// bytes, has something after it, is at most MaxMachineTokenBytes long and is made only of
// [A-Za-z0-9_-]: Clerk's tokens are, and nothing else is worth a request.
func machineTokenShapeOK(token string, prefixLen int) bool {
	if len(token) <= prefixLen || len(token) > MaxMachineTokenBytes {
		return false
	}
	for i := prefixLen; i < len(token); i++ {
		c := token[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// VerifyMachineToken implements MachineVerifier. It returns ErrTokenType (wrapped) for a
// token without an "ak_", "mt_" or "oat_" prefix; ErrMachineTokenInvalid for a malformed
// one or one Clerk does not know (404, 400, 422, or an OAuth token Clerk calls inactive);
// ErrMachineTokenRevoked; ErrMachineTokenExpired (Clerk's flag, or an expiration already
// past by this verifier's clock); ErrBackendAPI when Clerk could not answer (also with
// ErrBackendAPIUnauthorized when it refused the secret key), or when ctx ended while
// waiting (with ctx's error). The Principal is the caller's to keep.
//
// For an OAuth token, the Principal's Name is the OAuth application's client_id.
func (b *BackendAPI) VerifyMachineToken(ctx context.Context, token string) (*Principal, error) {
	ep, err := b.endpointFor(token)
	if err != nil {
		return nil, err
	}
	key := sha256.Sum256([]byte(token))
	if e, ok := b.lookup(key); ok {
		return e.result(b.now())
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: gave up waiting: %w", ErrBackendAPI, err)
	}
	// One call per token however many requests carry it at once. The call is not tied to
	// the first caller's context (its client may go away; the answer is worth caching)
	// but keeps its values, and is bounded by the client's timeout; each caller stops
	// waiting when its own context ends.
	ch := b.group.DoChan(string(key[:]), func() (any, error) {
		// A flight that ended between our cache miss and this one has cached its answer.
		if e, ok := b.lookup(key); ok {
			return e, nil
		}
		e, err := b.call(context.WithoutCancel(ctx), ep, token)
		if err != nil {
			return nil, err // ErrBackendAPI: never cached
		}
		return b.store(key, e), nil
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		return res.Val.(bapiEntry).result(b.now())
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: gave up waiting: %w", ErrBackendAPI, ctx.Err())
	}
}

// lookup returns the cached answer for key, if there is one still usable. An entry past
// its time is left to be replaced or evicted (removing it here could remove a fresh
// answer another goroutine has just stored).
func (b *BackendAPI) lookup(key [sha256.Size]byte) (bapiEntry, bool) {
	e, ok := b.cache.GetIfPresent(key)
	if !ok || !b.now().Before(e.until) {
		return bapiEntry{}, false
	}
	return e, true
}

// store caches e and returns it: an acceptance until MaxCacheTTL from now or the token's
// expiration, whichever is first; a refusal for NegativeCacheTTL.
func (b *BackendAPI) store(key [sha256.Size]byte, e bapiEntry) bapiEntry {
	now := b.now()
	if e.p == nil {
		e.until = now.Add(b.negTTL)
	} else {
		e.until = now.Add(b.maxTTL)
		if exp := e.p.ExpiresAt; !exp.IsZero() && exp.Before(e.until) {
			e.until = exp
		}
	}
	b.cache.Set(key, e)
	return e
}

// result is the answer e gives at now: a copy of the principal, or the refusal.
func (e bapiEntry) result(now time.Time) (*Principal, error) {
	if e.p == nil {
		return nil, e.err
	}
	if !e.p.ExpiresAt.IsZero() && !now.Before(e.p.ExpiresAt) {
		return nil, fmt.Errorf("%w: expired at %s", ErrMachineTokenExpired, e.p.ExpiresAt.UTC().Format(time.RFC3339))
	}
	p := *e.p
	p.Scopes = slices.Clone(e.p.Scopes)
	p.Claims = bytes.Clone(e.p.Claims)
	return &p, nil
}

// bapiResponse is what the verify endpoints answer with (the members of the three kinds
// of object that matter here).
type bapiResponse struct {
	Object     string          `json:"object"`
	ID         string          `json:"id"`
	Name       string          `json:"name"`
	ClientID   string          `json:"client_id"`
	Subject    string          `json:"subject"`
	Scopes     []string        `json:"scopes"`
	Claims     json.RawMessage `json:"claims"`
	Revoked    bool            `json:"revoked"`
	Expired    bool            `json:"expired"`
	Expiration *int64          `json:"expiration"`
	Active     *bool           `json:"active"`
}

// call asks the Backend API about token. It returns a cacheable answer (a principal or a
// refusal of the token), or an error wrapping ErrBackendAPI, which is not to be cached.
func (b *BackendAPI) call(ctx context.Context, ep *bapiEndpoint, token string) (bapiEntry, error) {
	body, err := json.Marshal(map[string]string{ep.field: token})
	if err != nil {
		return bapiEntry{}, fmt.Errorf("%w: %w", ErrBackendAPI, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.url, bytes.NewReader(body))
	if err != nil {
		return bapiEntry{}, fmt.Errorf("%w: %w", ErrBackendAPI, err)
	}
	req.Header.Set("Authorization", "Bearer "+b.secretKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "authkit")
	resp, err := b.client.Do(req)
	if err != nil {
		// The error names the URL (never the token, which is in the body) and the cause.
		b.warn("clerkauth: Clerk Backend API call failed", ep, slog.String("error", err.Error()))
		return bapiEntry{}, fmt.Errorf("%w: %s: %w", ErrBackendAPI, ep.kind, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBackendAPIResponseBytes+1))
	if err == nil && len(data) > maxBackendAPIResponseBytes {
		err = errors.New("response body too large")
	}

	switch code := resp.StatusCode; {
	case code == http.StatusOK && err == nil:
		e, perr := parseBackendAPIAnswer(ep, data, b.now())
		if perr != nil {
			b.warn("clerkauth: unexpected Clerk Backend API answer", ep, slog.String("error", perr.Error()))
			return bapiEntry{}, fmt.Errorf("%w: %s: %w", ErrBackendAPI, ep.kind, perr)
		}
		return e, nil
	case code == http.StatusOK:
		b.warn("clerkauth: Clerk Backend API answer unreadable", ep, slog.String("error", err.Error()))
		return bapiEntry{}, fmt.Errorf("%w: %s: reading the answer: %w", ErrBackendAPI, ep.kind, err)
	case code == http.StatusNotFound || code == http.StatusBadRequest || code == http.StatusUnprocessableEntity:
		// Clerk does not know the token, or refuses it as malformed.
		return bapiEntry{err: fmt.Errorf("%w: Clerk answered %d", ErrMachineTokenInvalid, code)}, nil
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		if ok, suppressed := b.unauthorizedLog.allow(b.now(), bapiUnauthorizedLogEvery); ok {
			b.log.LogAttrs(ctx, slog.LevelError,
				"clerkauth: Clerk Backend API refused the secret key; machine tokens cannot be verified",
				slog.Int("status", code), slog.String("endpoint", ep.url),
				slog.String("clerk_error", clerkErrorCode(data)), slog.Int("suppressed", suppressed))
		}
		return bapiEntry{}, fmt.Errorf("%w: %w (HTTP %d)", ErrBackendAPI, ErrBackendAPIUnauthorized, code)
	default:
		b.warn("clerkauth: Clerk Backend API error", ep, slog.Int("status", code),
			slog.String("clerk_error", clerkErrorCode(data)))
		return bapiEntry{}, fmt.Errorf("%w: %s: HTTP %d", ErrBackendAPI, ep.kind, code)
	}
}

// parseBackendAPIAnswer turns a 200 answer into a principal or a refusal.
func parseBackendAPIAnswer(ep *bapiEndpoint, data []byte, now time.Time) (bapiEntry, error) {
	var r bapiResponse
	if err := json.Unmarshal(data, &r); err != nil {
		return bapiEntry{}, fmt.Errorf("decoding the answer: %w", err)
	}
	if r.Active != nil && !*r.Active {
		// RFC 7662 style: Clerk does not say why (it answers so for expired tokens).
		return bapiEntry{err: fmt.Errorf("%w: Clerk answered inactive", ErrMachineTokenInvalid)}, nil
	}
	if r.Object != "" && r.Object != ep.object {
		return bapiEntry{}, fmt.Errorf("answer is a %q, want %q", r.Object, ep.object)
	}
	if r.ID == "" {
		return bapiEntry{}, errors.New("answer has no id")
	}
	var exp time.Time
	if r.Expiration != nil {
		exp = time.UnixMilli(*r.Expiration)
	}
	switch {
	case r.Revoked:
		return bapiEntry{err: ErrMachineTokenRevoked}, nil
	case r.Expired:
		return bapiEntry{err: fmt.Errorf("%w: Clerk answered expired", ErrMachineTokenExpired)}, nil
	case !exp.IsZero() && !now.Before(exp):
		return bapiEntry{err: fmt.Errorf("%w: expired at %s", ErrMachineTokenExpired, exp.UTC().Format(time.RFC3339))}, nil
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
	return bapiEntry{p: p}, nil
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
