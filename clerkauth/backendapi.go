package clerkauth

import (
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
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
	// DefaultMachineCacheSize is the default of BackendAPIConfig.CacheSize.
	DefaultMachineCacheSize = 10_000
	// DefaultMachineCacheTTL is how long a token Clerk accepted is accepted again on that
	// answer (never past the token's own expiration); a token in use is revalidated with
	// Clerk, in the background, when a quarter of it is left.
	DefaultMachineCacheTTL = 60 * time.Second
	// DefaultMachineStaleIfError is how long past its MaxCacheTTL a token Clerk accepted
	// keeps being accepted while its revalidation cannot be made (Clerk unreachable,
	// failing or answering 429, or no call left in the budget).
	DefaultMachineStaleIfError = 2 * time.Minute
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
	// MinMachineTokenBytes and MaxMachineTokenBytes bound the length of a Clerk machine
	// token, prefix included; a shorter or longer one is refused (ErrMachineTokenInvalid)
	// without asking Clerk. Clerk does not publish the length of its secrets; the shapes
	// it shows are far inside these bounds (its Backend API reference, 32 characters
	// after the prefix; its JavaScript SDK's fixtures, 37 and 44), which err on the side
	// of never refusing a real token: they spare a call for junk, not for a token made
	// up on purpose (see BackendAPI for those).
	MinMachineTokenBytes = 16
	MaxMachineTokenBytes = 128
	// maxBackendAPIResponseBytes caps the body of a Backend API answer that is read.
	maxBackendAPIResponseBytes = 64 << 10
	// bapiRevalidateRetry spaces the attempts to revalidate one credential while they
	// cannot be made (never more than a quarter of MaxCacheTTL).
	bapiRevalidateRetry = 2 * time.Second
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

// ErrBackendAPIRateLimited is wrapped (with ErrBackendAPI) when a token that needed a
// call was not sent to Clerk because this BackendAPI's own limits were reached: its
// share of the calls-per-second budget (BackendAPIConfig.MaxCallsPerSecond and
// MaxCallBurst) or of the calls in flight (MaxConcurrentCalls) was spent. The refusal
// is immediate and never cached; clients get 503 through ErrBackendAPI, and a client
// that presents the same token again is served from a reserve that a flood of distinct
// made-up tokens cannot spend (see BackendAPI). Seeing it under normal traffic means
// the limits are too low; under a flood of unknown tokens, that they protect the
// instance's Backend API quota.
var ErrBackendAPIRateLimited = errors.New("clerkauth: Clerk Backend API calls limited by this process")

// ErrBackendAPIThrottled is wrapped (with ErrBackendAPI) when Clerk's Backend API answered
// 429 (the instance's quota is spent), and for every token needing a call during the
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

	// CacheSize bounds the number of credentials Clerk accepted that are remembered, and
	// separately the number of refusals (default DefaultMachineCacheSize each): refusals
	// of made-up tokens never evict an accepted credential.
	CacheSize int

	// MaxCacheTTL is how long a token Clerk accepted is accepted again on that answer,
	// default DefaultMachineCacheTTL (60 s), never past the token's expiration. When a
	// quarter of it is left, the next request for the token starts a revalidation with
	// Clerk in the background (and is answered from the cache at once), so a credential
	// in use is never asked about inline, and costs one call per three quarters of
	// MaxCacheTTL (45 s by default). A token not revalidated in time is revalidated inline
	// by its next request. While Clerk answers, a revocation is noticed within
	// MaxCacheTTL; a refusal on revalidation (revoked, unknown, expired) drops the token
	// at once.
	MaxCacheTTL time.Duration

	// StaleIfError is how long past MaxCacheTTL a token Clerk accepted keeps being
	// accepted while it cannot be revalidated (Clerk unreachable, failing, answering
	// 429, or not Clerk's answer; or this verifier's budget spent): default
	// DefaultMachineStaleIfError (2 minutes). A revocation may then take up to
	// MaxCacheTTL + StaleIfError to be noticed, and only while Clerk cannot be asked.
	// Serving past MaxCacheTTL is logged (Warn, at most every 10 s).
	StaleIfError time.Duration

	// NegativeCacheTTL is how long a token Clerk refused (404, revoked, expired) is refused
	// again without asking Clerk: default DefaultMachineNegativeCacheTTL (10 s).
	NegativeCacheTTL time.Duration

	// MaxCallsPerSecond bounds the rate of calls to the Backend API, revalidations
	// included (a token bucket refilled at this rate, holding MaxCallBurst calls):
	// default DefaultMaxBackendAPICallsPerSecond (20). Only tokens without a usable
	// answer cost a call, and concurrent verifications of one token share one; a token
	// that finds its share of the budget spent is refused at once with
	// ErrBackendAPIRateLimited (never cached), so a flood of made-up tokens cannot spend
	// the instance's Backend API quota, which the rest of the application shares. It
	// must be finite. The budget is shared in tiers (see BackendAPI): tokens presented
	// for the first time may spend only the upper half of the bucket, and revalidations
	// come first. Each credential in steady use costs one revalidation per three
	// quarters of MaxCacheTTL (45 s by default): 20 calls a second keep 900 credentials
	// in use revalidated, and leave nothing to new tokens then; size MaxCallsPerSecond
	// (or MaxCacheTTL) for the credentials you have.
	MaxCallsPerSecond float64

	// MaxCallBurst is the size of the bucket, how many calls may be made at once after a
	// quiet period: default twice MaxCallsPerSecond, rounded up (40 by default). Of it,
	// MaxCallBurst/2 (rounded down) is reserved to revalidations and retried tokens, and
	// MaxCallBurst/4 of that to revalidations; a burst of 1 reserves nothing.
	MaxCallBurst int

	// MaxConcurrentCalls bounds the calls in flight at once: default
	// DefaultMaxConcurrentBackendAPICalls (8). A token needing a call that finds its
	// share busy is refused at once with ErrBackendAPIRateLimited (never cached) rather
	// than waiting: a slow Backend API then costs quick 503s, not a pile of waiting
	// requests. Tokens presented for the first time must leave half the slots (rounded
	// down) free, retried ones a quarter; revalidations may take any; every tier may
	// take at least one.
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
// form of token is left to other verifiers (ErrTokenType), without a request; a
// Clerk-prefixed token outside MinMachineTokenBytes..MaxMachineTokenBytes, or with a
// character outside base64 (standard or URL-safe, with at most two "=" at the end), is
// refused without a request. A 200 answer is a credential only if it is the endpoint's
// object ("object": "api_key", "machine_to_machine_token" or
// "clerk_idp_oauth_access_token") with an id and a subject: what a wrong URL or a
// catch-all proxy answers is ErrBackendAPI, logged as a misconfiguration.
//
// Answers are cached in process, keyed by a SHA-256 of the token (never the token).
// Credentials Clerk accepted form the known set: each is accepted on Clerk's answer for
// MaxCacheTTL (never past its expiration), revalidated in the background when a quarter
// of that is left, and, when the revalidation cannot be made, accepted for StaleIfError
// more (stale-if-error); a revalidation that Clerk answers with a refusal drops it at
// once. Refusals (unknown, revoked, expired) are remembered for NegativeCacheTTL.
// Failures of the Backend API itself (ErrBackendAPI: unreachable, timeouts, 429, 5xx, a
// refused secret key, an answer that is not Clerk's) are never cached. Concurrent
// verifications of one token share one call.
//
// Because any client can send a well-formed token it made up, calls are limited: one
// token bucket (MaxCallsPerSecond, MaxCallBurst) and MaxConcurrentCalls calls in flight,
// shared in three tiers, each with a reserve the tiers below cannot spend:
//
//   - a token presented for the first time must leave half the bucket and half the
//     slots (rounded down) to the tiers above;
//   - a token refused for lack of budget and presented again (a client retrying after
//     a 503; the last 16,384 such tokens are remembered, by a 64-bit fingerprint) must
//     leave a quarter of each;
//   - the revalidation of a known credential may spend everything.
//
// While a flood of made-up tokens keeps the bucket at its half, every call the refill
// brings below it goes to a higher tier first. So under a flood of distinct made-up
// tokens (the tests flood 1,000 a second against the defaults: 20 calls a second, a
// bucket of 40), a known credential is never refused, whether in use or idle for
// longer than MaxCacheTTL + StaleIfError, and a valid token never seen before is
// refused once, then accepted on its first retry (plus the time of the call): a client
// retrying after 1 s is in after 1 s, one honouring the middleware's Retry-After (5 s)
// after 5 s. What the reserve cannot tell apart is an attacker that presents each
// made-up token again, as a retrying client does: such tokens compete with genuine
// retries for the retried tier (never with known credentials), each retry of a new
// credential is then a draw among them, and a replay as heavy as the flood can keep
// new credentials out (the tests measure 500 made-up tokens a second, each presented
// twice: none of three new credentials retrying every second got in within 100 s).
// Without knowing the client behind a token, nothing here can do better. After a 429
// from Clerk, no call is made until the answer's Retry-After has passed
// (ErrBackendAPIThrottled), and known credentials are served from the cache meanwhile.
//
// A BackendAPI is safe for concurrent use. A revalidation in the background runs in a
// goroutine started by the request that found it due, one per credential at a time,
// admitted by the budget before it starts, and bounded by the HTTP client's timeout.
type BackendAPI struct {
	secretKey string
	endpoints [3]bapiEndpoint // one per token prefix, tried in turn
	client    *http.Client
	known     *otter.Cache[[sha256.Size]byte, *bapiKnown]  // credentials Clerk accepted
	refused   *otter.Cache[[sha256.Size]byte, bapiRefusal] // Clerk's refusals
	retried   bapiRetried                                  // tokens refused for lack of budget
	maxTTL    time.Duration
	refresh   time.Duration // age at which a known credential in use is revalidated
	stale     time.Duration // StaleIfError
	negTTL    time.Duration
	retry     time.Duration // between attempts to revalidate one credential
	now       func() time.Time
	log       *slog.Logger
	group     singleflight.Group

	budget *bapiBudget
	pause  bapiPause // after a 429

	// revalidations counts the background revalidations under way (tests wait on it).
	revalidations sync.WaitGroup

	unauthorizedLog bapiLogLimiter
	misconfigLog    bapiLogLimiter
	warnLog         bapiLogLimiter
	limitLog        bapiLogLimiter
	staleLog        bapiLogLimiter
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

// NewBackendAPI returns a verifier of Clerk's machine tokens.
func NewBackendAPI(cfg BackendAPIConfig) (*BackendAPI, error) {
	if strings.TrimSpace(cfg.SecretKey) == "" {
		return nil, fmt.Errorf("%w: BackendAPIConfig.SecretKey is required", ErrInvalidConfig)
	}
	if strings.ContainsFunc(cfg.SecretKey, func(r rune) bool { return r <= ' ' || r == 0x7f || r > 0x7e }) {
		// Never quote the key: it may be a real one with a stray newline.
		return nil, fmt.Errorf("%w: BackendAPIConfig.SecretKey contains whitespace or control characters", ErrInvalidConfig)
	}
	if cfg.CacheSize < 0 || cfg.MaxCacheTTL < 0 || cfg.StaleIfError < 0 || cfg.NegativeCacheTTL < 0 ||
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
		stale:     cmp.Or(cfg.StaleIfError, DefaultMachineStaleIfError),
		negTTL:    cmp.Or(cfg.NegativeCacheTTL, DefaultMachineNegativeCacheTTL),
		now:       cfg.Now,
		log:       cfg.Logger,
		budget: newBAPIBudget(perSecond, burst,
			cmp.Or(cfg.MaxConcurrentCalls, DefaultMaxConcurrentBackendAPICalls)),
		endpoints: [3]bapiEndpoint{
			{kind: KindAPIKey, prefix: "ak_", url: base + "/api_keys/verify", field: "secret", object: "api_key"},
			{kind: KindM2MToken, prefix: "mt_", url: base + "/m2m_tokens/verify", field: "token", object: "machine_to_machine_token"},
			{kind: KindOAuthToken, prefix: "oat_", url: base + "/oauth_applications/access_tokens/verify", field: "access_token", object: "clerk_idp_oauth_access_token"},
		},
	}
	b.refresh = b.maxTTL - b.maxTTL/4
	b.retry = min(bapiRevalidateRetry, b.maxTTL/4)
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
	size := cmp.Or(cfg.CacheSize, DefaultMachineCacheSize)
	if b.known, err = otter.New(&otter.Options[[sha256.Size]byte, *bapiKnown]{MaximumSize: size}); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	if b.refused, err = otter.New(&otter.Options[[sha256.Size]byte, bapiRefusal]{MaximumSize: size}); err != nil {
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
// bytes, is MinMachineTokenBytes to MaxMachineTokenBytes long and, after the prefix, is
// made of base64 characters, standard or URL-safe ([A-Za-z0-9+/_-]), with at most two
// "=" at the end and nothing else. Clerk's tokens are (its JavaScript SDK's API key
// fixture is standard base64 with padding), and nothing else is worth a request.
func machineTokenShapeOK(token string, prefixLen int) bool {
	if len(token) < MinMachineTokenBytes || len(token) > MaxMachineTokenBytes {
		return false
	}
	body := token[prefixLen:]
	unpadded := strings.TrimRight(body, "=")
	if len(body)-len(unpadded) > 2 || unpadded == "" {
		return false
	}
	for i := range len(unpadded) {
		if c := unpadded[i]; !isBase64URLChar(c) && c != '+' && c != '/' {
			return false
		}
	}
	return true
}

// base64URLChars reports whether s is made only of [A-Za-z0-9_-].
func base64URLChars(s string) bool {
	for i := range len(s) {
		if !isBase64URLChar(s[i]) {
			return false
		}
	}
	return true
}

// isBase64URLChar reports whether c is one of [A-Za-z0-9_-].
func isBase64URLChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-'
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
// the generic 404 page of a misconfigured URL, or a 200 without the endpoint's
// "object"), when the call was not made because of this verifier's limits (with
// ErrBackendAPIRateLimited, or ErrBackendAPIThrottled while a 429's Retry-After runs), or
// when ctx ended while waiting (with ctx's error). A credential Clerk accepted is
// accepted within MaxCacheTTL of Clerk's answer, and within StaleIfError more while it
// cannot be revalidated, whatever the limits and ctx. The Principal is the caller's to
// keep.
//
// For an OAuth token, the Principal's Name is the OAuth application's client_id.
func (b *BackendAPI) VerifyMachineToken(ctx context.Context, token string) (*Principal, error) {
	ep, err := b.endpointFor(token)
	if err != nil {
		return nil, err
	}
	key := sha256.Sum256([]byte(token))
	now := b.now()
	if k, ok := b.known.GetIfPresent(key); ok {
		return b.verifyKnown(ctx, key, ep, token, k, now)
	}
	if r, ok := b.refused.GetIfPresent(key); ok && now.Before(r.until) {
		return nil, r.err
	}
	tier := tierNew
	if b.retried.has(fingerprint(key)) {
		tier = tierRetried
	}
	return b.ask(ctx, key, ep, token, tier, nil)
}

// verifyKnown answers for a credential Clerk accepted (k): from the cache while Clerk's
// answer is younger than MaxCacheTTL (starting a revalidation in the background when a
// quarter of it is left); past it, from a revalidation made inline, or, when one could
// not be made, from the cache again until StaleIfError more has passed.
func (b *BackendAPI) verifyKnown(ctx context.Context, key [sha256.Size]byte, ep *bapiEndpoint, token string,
	k *bapiKnown, now time.Time,
) (*Principal, error) {
	v := bapiVerdict{p: k.p}
	if err := expiredAt(k.p.ExpiresAt, now); err != nil {
		return nil, err
	}
	age := now.Sub(k.checked)
	stale := age >= b.maxTTL
	canStale := age < b.maxTTL+b.stale
	switch {
	case !stale:
		if age >= b.refresh {
			b.revalidate(ctx, key, ep, token, k, now)
		}
		return v.result(now)
	case canStale && k.hasFailed():
		b.servedStale(ep)
		b.revalidate(ctx, key, ep, token, k, now)
		return v.result(now)
	}
	p, err := b.ask(ctx, key, ep, token, tierKnown, k)
	if canStale && errors.Is(err, ErrBackendAPI) {
		k.fail(now.Add(b.retry))
		b.servedStale(ep)
		return v.result(now)
	}
	return p, err
}

// revalidate starts asking Clerk about the known credential k in the background, unless
// a revalidation of it is under way, a failed one is too recent, or the budget refuses
// it (which counts as a failed revalidation).
func (b *BackendAPI) revalidate(ctx context.Context, key [sha256.Size]byte, ep *bapiEndpoint, token string,
	k *bapiKnown, now time.Time,
) {
	if !k.claim(now) {
		return
	}
	if err := b.acquire(ep, tierKnown, now); err != nil {
		k.finish(false, now.Add(b.retry))
		return
	}
	b.revalidations.Add(1)
	go func() {
		defer b.revalidations.Done()
		// Joins an inline flight for the token if one is under way (the slot taken above
		// then goes unused).
		_, err, _ := b.group.Do(string(key[:]), func() (any, error) {
			return b.callAndRemember(context.WithoutCancel(ctx), key, ep, token)
		})
		b.release()
		k.finish(err == nil, b.now().Add(b.retry))
	}()
}

// ask verifies token with the Backend API, inline: one call per token however many
// requests carry it at once, admitted by the budget of tier. seen is the known entry
// being revalidated, if any. The call is not tied to the first caller's context (its
// client may go away; the answer is worth caching) but keeps its values, and is bounded
// by the client's timeout; each caller stops waiting when its own context ends.
func (b *BackendAPI) ask(ctx context.Context, key [sha256.Size]byte, ep *bapiEndpoint, token string,
	tier bapiTier, seen *bapiKnown,
) (*Principal, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: gave up waiting: %w", ErrBackendAPI, err)
	}
	ch := b.group.DoChan(string(key[:]), func() (any, error) {
		// A flight that ended between our look at the cache and this one has answered.
		if v, ok := b.answered(key, seen); ok {
			return v, nil
		}
		// The limits count real calls: after the cache and the merging of identical
		// tokens, before anything is sent.
		if err := b.acquire(ep, tier, b.now()); err != nil {
			if tier != tierKnown {
				b.retried.add(fingerprint(key))
			}
			return nil, err // never cached
		}
		defer b.release()
		return b.callAndRemember(context.WithoutCancel(ctx), key, ep, token)
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		return res.Val.(bapiVerdict).result(b.now())
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: gave up waiting: %w", ErrBackendAPI, ctx.Err())
	}
}

// answered returns Clerk's answer for key given since the known entry seen (nil: any
// answer): an acceptance younger than MaxCacheTTL, or a refusal still remembered.
func (b *BackendAPI) answered(key [sha256.Size]byte, seen *bapiKnown) (bapiVerdict, bool) {
	now := b.now()
	if k, ok := b.known.GetIfPresent(key); ok && k != seen && now.Sub(k.checked) < b.maxTTL {
		return bapiVerdict{p: k.p}, true
	}
	if r, ok := b.refused.GetIfPresent(key); ok && now.Before(r.until) {
		return bapiVerdict{err: r.err}, true
	}
	return bapiVerdict{}, false
}

// callAndRemember asks Clerk about token and caches the answer: an acceptance (re)enters
// the known set, a refusal leaves it at once and is remembered for NegativeCacheTTL.
// Errors wrap ErrBackendAPI and are not cached.
func (b *BackendAPI) callAndRemember(ctx context.Context, key [sha256.Size]byte, ep *bapiEndpoint, token string) (any, error) {
	v, err := b.call(ctx, ep, token)
	if err != nil {
		return nil, err
	}
	now := b.now()
	if v.p != nil {
		b.known.Set(key, &bapiKnown{p: v.p, checked: now})
		b.refused.Invalidate(key)
	} else {
		b.refused.Set(key, bapiRefusal{err: v.err, until: now.Add(b.negTTL)})
		b.known.Invalidate(key)
	}
	b.retried.forget(fingerprint(key))
	return v, nil
}

// acquire admits one call of tier to the Backend API at now, or refuses it at once with
// an error wrapping ErrBackendAPI and ErrBackendAPIThrottled (a 429's pause is running)
// or ErrBackendAPIRateLimited (the tier's share of the calls in flight or of the
// calls-per-second budget is spent). An admitted call holds a slot until release. A
// refusal spends nothing: a pause is checked first.
func (b *BackendAPI) acquire(ep *bapiEndpoint, tier bapiTier, now time.Time) error {
	if until, paused := b.pause.active(now); paused {
		b.notCalled(ep, tier, "clerk_retry_after", slog.Time("until", until))
		return fmt.Errorf("%w: %w: no call until %s (Clerk's Retry-After)", ErrBackendAPI, ErrBackendAPIThrottled,
			until.UTC().Format(time.RFC3339))
	}
	if reason, ok := b.budget.take(now, tier); !ok {
		b.notCalled(ep, tier, reason)
		return fmt.Errorf("%w: %w: %s (%s tier)", ErrBackendAPI, ErrBackendAPIRateLimited, reason, tier)
	}
	return nil
}

// release ends a call admitted by acquire.
func (b *BackendAPI) release() { b.budget.done() }

// notCalled logs a call not made because of a limit, at most once per bapiWarnLogEvery
// (a flood of made-up tokens must not flood the logs too).
func (b *BackendAPI) notCalled(ep *bapiEndpoint, tier bapiTier, reason string, attrs ...slog.Attr) {
	ok, suppressed := b.limitLog.allow(b.now(), bapiWarnLogEvery)
	if !ok {
		return
	}
	attrs = append(attrs, slog.String("reason", reason), slog.String("kind", string(ep.kind)),
		slog.String("tier", tier.String()), slog.Int("suppressed", suppressed))
	b.log.LogAttrs(context.Background(), slog.LevelWarn,
		"clerkauth: Clerk Backend API call not made: limit reached", attrs...)
}

// servedStale logs, at most once per bapiWarnLogEvery, that a known credential was
// accepted past MaxCacheTTL because it could not be revalidated.
func (b *BackendAPI) servedStale(ep *bapiEndpoint) {
	ok, suppressed := b.staleLog.allow(b.now(), bapiWarnLogEvery)
	if !ok {
		return
	}
	b.log.LogAttrs(context.Background(), slog.LevelWarn,
		"clerkauth: Clerk Backend API cannot revalidate machine tokens; accepted ones are served past MaxCacheTTL (StaleIfError)",
		slog.String("kind", string(ep.kind)), slog.Int("suppressed", suppressed))
}
