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
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/maypok86/otter/v2"
	"golang.org/x/sync/singleflight"
	"golang.org/x/time/rate"
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
	// DefaultMaxBackendAPICallsPerSecond is the default of BackendAPIConfig.MaxCallsPerSecond:
	// a fifth of a production instance's Backend API quota (1000 requests per 10 s,
	// shared with every other use of the secret key). A development instance's quota is
	// 100 requests per 10 s: set MaxCallsPerSecond to 5 or less there.
	DefaultMaxBackendAPICallsPerSecond = 20
	// DefaultMaxConcurrentBackendAPICalls is the default of
	// BackendAPIConfig.MaxConcurrentCalls.
	DefaultMaxConcurrentBackendAPICalls = 8
	// DefaultBackendAPIRetryAfter is how long cache misses are refused without asking Clerk
	// after a 429 answer without a usable Retry-After header.
	DefaultBackendAPIRetryAfter = 5 * time.Second
	// MaxBackendAPIRetryAfter caps the pause a 429's Retry-After imposes (a longer one, or
	// an absurd date, is cut to this).
	MaxBackendAPIRetryAfter = 60 * time.Second
	// minBackendAPIRetryAfter is the shortest pause after a 429 (Retry-After 0 or a past
	// date): Clerk has just said that the quota is spent.
	minBackendAPIRetryAfter = time.Second
	// maxBackendAPIBurst caps the default MaxCallBurst of a huge MaxCallsPerSecond.
	maxBackendAPIBurst = math.MaxInt32
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

// ErrBackendAPIRateLimited is wrapped (with ErrBackendAPI) when a token not in the cache
// was not sent to Clerk because this BackendAPI's own limits were reached: more than
// BackendAPIConfig.MaxCallsPerSecond (beyond MaxCallBurst), or MaxConcurrentCalls calls
// already in flight. The refusal is immediate and never cached; clients get 503 through
// ErrBackendAPI. Seeing it under normal traffic means the limits are too low; under a
// flood of unknown tokens, that they protect the instance's Backend API quota.
var ErrBackendAPIRateLimited = errors.New("clerkauth: Clerk Backend API calls limited by this process")

// ErrBackendAPIThrottled is wrapped (with ErrBackendAPI) when Clerk's Backend API answered
// 429 (the instance's quota is spent), and for every token not in the cache during the
// pause that follows (the answer's Retry-After, by default DefaultBackendAPIRetryAfter, at
// most MaxBackendAPIRetryAfter), which is refused without asking Clerk. Never cached.
var ErrBackendAPIThrottled = errors.New("clerkauth: Clerk Backend API rate limit reached")

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

	// MaxCallsPerSecond bounds the rate of calls to the Backend API (a token bucket
	// refilled at this rate, holding MaxCallBurst calls): default
	// DefaultMaxBackendAPICallsPerSecond (20). Only tokens not in the cache cost a call,
	// and concurrent verifications of one token share one; a token that would exceed the
	// rate is refused at once with ErrBackendAPIRateLimited (never cached), so a flood of
	// made-up tokens cannot spend the instance's Backend API quota, which the rest of the
	// application shares. It must be finite.
	MaxCallsPerSecond float64

	// MaxCallBurst is how many calls may be made at once above MaxCallsPerSecond after a
	// quiet period: default twice MaxCallsPerSecond, rounded up (40 by default).
	MaxCallBurst int

	// MaxConcurrentCalls bounds the calls in flight at once: default
	// DefaultMaxConcurrentBackendAPICalls (8). A token not in the cache that finds them
	// all busy is refused at once with ErrBackendAPIRateLimited (never cached) rather
	// than waiting: a slow Backend API then costs quick 503s, not a pile of waiting
	// requests.
	MaxConcurrentCalls int

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
// unreachable, timeouts, 429, 5xx, a refused secret key, an answer that is not Clerk's)
// are never cached. Concurrent verifications of one token share one call.
//
// Because any client can send a well-formed token it made up, the calls are limited
// (cache hits never are): at most BackendAPIConfig.MaxCallsPerSecond (with bursts of
// MaxCallBurst) and MaxConcurrentCalls at once, beyond which a token not in the cache is
// refused at once (ErrBackendAPIRateLimited); and after a 429 from Clerk, none until the
// answer's Retry-After has passed (ErrBackendAPIThrottled). A BackendAPI is safe for
// concurrent use and starts no goroutine of its own.
type BackendAPI struct {
	secretKey string
	endpoints [3]bapiEndpoint // one per token prefix, tried in turn
	client    *http.Client
	cache     *otter.Cache[[sha256.Size]byte, bapiEntry]
	maxTTL    time.Duration
	negTTL    time.Duration
	now       func() time.Time
	log       *slog.Logger
	group     singleflight.Group

	limiter *rate.Limiter // calls per second, fed the injected clock
	slots   chan struct{} // one element per call in flight
	pause   bapiPause     // after a 429

	unauthorizedLog bapiLogLimiter
	misconfigLog    bapiLogLimiter
	warnLog         bapiLogLimiter
	limitLog        bapiLogLimiter
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
		return nil, fmt.Errorf("%w: BackendAPIConfig.SecretKey is required", ErrInvalidConfig)
	}
	if strings.ContainsFunc(cfg.SecretKey, func(r rune) bool { return r <= ' ' || r == 0x7f || r > 0x7e }) {
		// Never quote the key: it may be a real one with a stray newline.
		return nil, fmt.Errorf("%w: BackendAPIConfig.SecretKey contains whitespace or control characters", ErrInvalidConfig)
	}
	if cfg.CacheSize < 0 || cfg.MaxCacheTTL < 0 || cfg.NegativeCacheTTL < 0 ||
		cfg.MaxCallBurst < 0 || cfg.MaxConcurrentCalls < 0 {
		return nil, fmt.Errorf("%w: negative BackendAPIConfig value", ErrInvalidConfig)
	}
	// Written so that NaN fails too.
	if !(cfg.MaxCallsPerSecond >= 0 && cfg.MaxCallsPerSecond <= math.MaxFloat64) {
		return nil, fmt.Errorf("%w: BackendAPIConfig.MaxCallsPerSecond must be a finite number, not negative", ErrInvalidConfig)
	}
	perSecond := cmp.Or(cfg.MaxCallsPerSecond, DefaultMaxBackendAPICallsPerSecond)
	burst := cfg.MaxCallBurst
	if burst == 0 {
		burst = int(min(math.Ceil(2*perSecond), maxBackendAPIBurst))
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
		limiter:   rate.NewLimiter(rate.Limit(perSecond), burst),
		slots:     make(chan struct{}, cmp.Or(cfg.MaxConcurrentCalls, DefaultMaxConcurrentBackendAPICalls)),
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
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
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
		return "", fmt.Errorf("%w: BackendAPIConfig.URL: %w", ErrInvalidConfig, err)
	}
	switch {
	case u.Host == "" || u.Opaque != "":
		return "", fmt.Errorf("%w: BackendAPIConfig.URL %q is not an absolute URL", ErrInvalidConfig, raw)
	case u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "", fmt.Errorf("%w: BackendAPIConfig.URL must have no user info, query or fragment", ErrInvalidConfig)
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	default:
		return "", fmt.Errorf("%w: BackendAPIConfig.URL %q must be https (http only for a loopback host)", ErrInvalidConfig, raw)
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
	return base64URLChars(token[prefixLen:])
}

// base64URLChars reports whether s is made only of [A-Za-z0-9_-].
func base64URLChars(s string) bool {
	for i := range len(s) {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// expiredAt returns ErrMachineTokenExpired when a token expiring at exp (zero: never)
// has expired at now, or nil.
func expiredAt(exp, now time.Time) error {
	if !exp.IsZero() && !now.Before(exp) {
		return fmt.Errorf("%w: expired at %s", ErrMachineTokenExpired, exp.UTC().Format(time.RFC3339))
	}
	return nil
}

// VerifyMachineToken implements MachineVerifier. It returns ErrTokenType (wrapped) for a
// token without an "ak_", "mt_" or "oat_" prefix; ErrMachineTokenInvalid for a malformed
// one or one Clerk does not know (404, 400 or 422 with Clerk's error body, or an OAuth
// token Clerk calls inactive); ErrMachineTokenRevoked; ErrMachineTokenExpired (Clerk's
// flag, or an expiration already past by this verifier's clock); ErrBackendAPI when Clerk
// could not answer (also with ErrBackendAPIUnauthorized when it refused the secret key,
// ErrBackendAPIThrottled when it answered 429), when the answer is not Clerk's (such as
// the generic 404 page of a misconfigured URL), when the call was not made because of this verifier's limits (with
// ErrBackendAPIRateLimited, or ErrBackendAPIThrottled while a 429's Retry-After runs), or
// when ctx ended while waiting (with ctx's error). Cached answers are given whatever the
// limits and ctx. The Principal is the caller's to keep.
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
		// The limits count real calls: after the cache and the merging of identical
		// tokens, before anything is sent.
		if err := b.acquire(ep); err != nil {
			return nil, err // never cached
		}
		defer b.release()
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

// acquire admits one call to the Backend API, or refuses it at once with an error wrapping
// ErrBackendAPI and ErrBackendAPIThrottled (a 429's pause is running) or
// ErrBackendAPIRateLimited (MaxConcurrentCalls in flight, or MaxCallsPerSecond reached).
// An admitted call holds a slot until release. A refusal spends nothing: a pause is
// checked first, and a call-per-second token is taken only with a slot.
func (b *BackendAPI) acquire(ep *bapiEndpoint) error {
	now := b.now()
	if until, paused := b.pause.active(now); paused {
		b.refused(ep, "clerk_retry_after", slog.Time("until", until))
		return fmt.Errorf("%w: %w: no call until %s (Clerk's Retry-After)", ErrBackendAPI, ErrBackendAPIThrottled,
			until.UTC().Format(time.RFC3339))
	}
	select {
	case b.slots <- struct{}{}:
	default:
		b.refused(ep, "max_concurrent_calls")
		return fmt.Errorf("%w: %w: %d calls in flight already", ErrBackendAPI, ErrBackendAPIRateLimited, cap(b.slots))
	}
	if !b.limiter.AllowN(now, 1) {
		b.release()
		b.refused(ep, "max_calls_per_second")
		return fmt.Errorf("%w: %w: more than %g calls per second", ErrBackendAPI, ErrBackendAPIRateLimited,
			float64(b.limiter.Limit()))
	}
	return nil
}

// release ends a call admitted by acquire.
func (b *BackendAPI) release() { <-b.slots }

// refused logs a call not made because of a limit, at most once per bapiWarnLogEvery
// (a flood of made-up tokens must not flood the logs too).
func (b *BackendAPI) refused(ep *bapiEndpoint, reason string, attrs ...slog.Attr) {
	ok, suppressed := b.limitLog.allow(b.now(), bapiWarnLogEvery)
	if !ok {
		return
	}
	attrs = append(attrs, slog.String("reason", reason), slog.String("kind", string(ep.kind)),
		slog.Int("suppressed", suppressed))
	b.log.LogAttrs(context.Background(), slog.LevelWarn,
		"clerkauth: Clerk Backend API call not made: limit reached; machine tokens not in the cache get 503", attrs...)
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
	if err := expiredAt(e.p.ExpiresAt, now); err != nil {
		return nil, err
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
	case (code == http.StatusNotFound || code == http.StatusBadRequest || code == http.StatusUnprocessableEntity) &&
		err == nil && isClerkErrorBody(data):
		// Clerk does not know the token, or refuses it as malformed.
		return bapiEntry{err: fmt.Errorf("%w: Clerk answered %d", ErrMachineTokenInvalid, code)}, nil
	case code == http.StatusNotFound || code == http.StatusBadRequest || code == http.StatusUnprocessableEntity:
		// Not Clerk's error format: most likely not Clerk at all (a URL without /v1, a
		// proxy's error page). Refusing the token would make every key look invalid.
		if ok, suppressed := b.misconfigLog.allow(b.now(), bapiUnauthorizedLogEvery); ok {
			b.log.LogAttrs(ctx, slog.LevelError,
				"clerkauth: Clerk Backend API answer is not Clerk's; is BackendAPIConfig.URL right (it ends in /v1)?",
				slog.Int("status", code), slog.String("endpoint", ep.url),
				slog.String("content_type", truncateForLog(resp.Header.Get("Content-Type"))),
				slog.Int("suppressed", suppressed))
		}
		return bapiEntry{}, fmt.Errorf("%w: %s: HTTP %d without Clerk's error body (misconfigured URL?)", ErrBackendAPI, ep.kind, code)
	case code == http.StatusTooManyRequests:
		// The instance's quota is spent (for every use of the secret key, not only
		// this one): stop asking until Clerk says.
		now := b.now()
		wait := bapiRetryAfter(resp.Header.Get("Retry-After"), now)
		b.pause.extend(now.Add(wait))
		b.warn("clerkauth: Clerk Backend API rate limit reached; no call until Retry-After", ep,
			slog.Int("status", code), slog.Duration("retry_after", wait), slog.String("clerk_error", clerkErrorCode(data)))
		return bapiEntry{}, fmt.Errorf("%w: %w: %s: HTTP 429, no call for %s", ErrBackendAPI, ErrBackendAPIThrottled, ep.kind, wait)
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
	}
	if err := expiredAt(exp, now); err != nil {
		return bapiEntry{err: err}, nil
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
