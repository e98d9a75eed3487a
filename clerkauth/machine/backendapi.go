package machine

import (
	"cmp"
	"context"
	"crypto/sha256"
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

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/jwks"
)

// Defaults and limits of BackendAPIConfig and BackendAPI.
const (
	// DefaultBackendAPIURL is Clerk's Backend API.
	DefaultBackendAPIURL = "https://api.clerk.com/v1"
	// DefaultBackendAPITimeout bounds one verification call when
	// BackendAPIConfig.HTTPClient is nil or has no Timeout (Clerk's Go SDK uses the
	// same).
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
	// DefaultMaxBackendAPICallsPerSecond is the default of
	// BackendAPIConfig.MaxCallsPerSecond: a fifth of a production instance's Backend API
	// quota (1000 requests per 10 s, shared with every other use of the secret key). A
	// development instance's quota is 100 requests per 10 s: set MaxCallsPerSecond to 5
	// or less there.
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
	// token, prefix included; a shorter or longer one is refused
	// (clerkauth.ErrMachineTokenInvalid) without asking Clerk. Clerk does not publish the
	// length of its secrets; the shapes it shows are far inside these bounds (its Backend
	// API reference, 32 characters after the prefix; its JavaScript SDK's fixtures, 37
	// and 44), which err on the side of never refusing a real token: they spare a call
	// for junk, not for a token made up on purpose (see BackendAPI for those).
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

// BackendAPI is a clerkauth.MachineVerifier of Clerk's opaque machine tokens: API keys
// ("ak_…"), machine-to-machine tokens ("mt_…") and OAuth access tokens ("oat_…"), each
// verified with its Backend API endpoint (POST /api_keys/verify, /m2m_tokens/verify,
// /oauth_applications/access_tokens/verify) using the instance's secret key. Any other
// form of token is left to other verifiers (clerkauth.ErrTokenType), without a request; a
// Clerk-prefixed token outside MinMachineTokenBytes..MaxMachineTokenBytes, or with a
// character outside base64 (standard or URL-safe, with at most two "=" at the end), is
// refused without a request. A 200 answer is a credential only if it is the endpoint's
// object ("object": "api_key", "machine_to_machine_token" or
// "clerk_idp_oauth_access_token") with an id and a subject: what a wrong URL or a
// catch-all proxy answers is clerkauth.ErrBackendAPI, logged as a misconfiguration.
//
// Answers are cached in process, keyed by a SHA-256 of the token (never the token).
// Credentials Clerk accepted form the known set: each is accepted on Clerk's answer for
// MaxCacheTTL (never past its expiration), revalidated in the background when a quarter
// of that is left, and, when the revalidation cannot be made, accepted for StaleIfError
// more (stale-if-error); a revalidation that Clerk answers with a refusal drops it at
// once. Refusals (unknown, revoked, expired) are remembered for NegativeCacheTTL.
// Failures of the Backend API itself (clerkauth.ErrBackendAPI: unreachable, timeouts,
// 429, 5xx, a refused secret key, an answer that is not Clerk's) are never cached.
// Concurrent verifications of one token share one call.
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

var _ clerkauth.MachineVerifier = (*BackendAPI)(nil)

// bapiEndpoint is how one kind of token is verified.
type bapiEndpoint struct {
	kind   clerkauth.TokenKind
	prefix string
	url    string // full URL of the verify endpoint
	field  string // the JSON member carrying the token
	object string // the "object" Clerk answers with
}

// NewBackendAPI returns a verifier of Clerk's machine tokens.
func NewBackendAPI(cfg BackendAPIConfig) (*BackendAPI, error) {
	if strings.TrimSpace(cfg.SecretKey) == "" {
		return nil, fmt.Errorf("%w: BackendAPIConfig.SecretKey is required", clerkauth.ErrInvalidConfig)
	}
	if strings.ContainsFunc(cfg.SecretKey, func(r rune) bool { return r <= ' ' || r == 0x7f || r > 0x7e }) {
		// Never quote the key: it may be a real one with a stray newline.
		return nil, fmt.Errorf("%w: BackendAPIConfig.SecretKey contains whitespace or control characters", clerkauth.ErrInvalidConfig)
	}
	if cfg.CacheSize < 0 || cfg.MaxCacheTTL < 0 || cfg.StaleIfError < 0 || cfg.NegativeCacheTTL < 0 ||
		cfg.MaxCallBurst < 0 || cfg.MaxConcurrentCalls < 0 {
		return nil, fmt.Errorf("%w: negative BackendAPIConfig value", clerkauth.ErrInvalidConfig)
	}
	// Written so that NaN fails too.
	if !(cfg.MaxCallsPerSecond >= 0 && cfg.MaxCallsPerSecond <= math.MaxFloat64) {
		return nil, fmt.Errorf("%w: BackendAPIConfig.MaxCallsPerSecond must be a finite number, not negative", clerkauth.ErrInvalidConfig)
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
			{kind: clerkauth.KindAPIKey, prefix: "ak_", url: base + "/api_keys/verify", field: "secret", object: "api_key"},
			{kind: clerkauth.KindM2MToken, prefix: "mt_", url: base + "/m2m_tokens/verify", field: "token", object: "machine_to_machine_token"},
			{kind: clerkauth.KindOAuthToken, prefix: "oat_", url: base + "/oauth_applications/access_tokens/verify", field: "access_token", object: "clerk_idp_oauth_access_token"},
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
		return nil, fmt.Errorf("%w: %w", clerkauth.ErrInvalidConfig, err)
	}
	if b.refused, err = otter.New(&otter.Options[[sha256.Size]byte, bapiRefusal]{MaximumSize: size}); err != nil {
		return nil, fmt.Errorf("%w: %w", clerkauth.ErrInvalidConfig, err)
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
		return "", fmt.Errorf("%w: BackendAPIConfig.URL: %w", clerkauth.ErrInvalidConfig, err)
	}
	switch {
	case u.Host == "" || u.Opaque != "":
		return "", fmt.Errorf("%w: BackendAPIConfig.URL %q is not an absolute URL", clerkauth.ErrInvalidConfig, raw)
	case u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "", fmt.Errorf("%w: BackendAPIConfig.URL must have no user info, query or fragment", clerkauth.ErrInvalidConfig)
	case u.Scheme == "https":
	case u.Scheme == "http" && jwks.IsLoopback(u.Hostname()):
	default:
		return "", fmt.Errorf("%w: BackendAPIConfig.URL %q must be https (http only for a loopback host)", clerkauth.ErrInvalidConfig, raw)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// VerifyMachineToken implements clerkauth.MachineVerifier. It returns
// clerkauth.ErrTokenType (wrapped) for a token without an "ak_", "mt_" or "oat_" prefix;
// clerkauth.ErrMachineTokenInvalid for a malformed one or one Clerk does not know (404,
// 400 or 422 with Clerk's error body, or an OAuth token Clerk calls inactive);
// clerkauth.ErrMachineTokenRevoked; clerkauth.ErrMachineTokenExpired (Clerk's flag, or an
// expiration already past by this verifier's clock); clerkauth.ErrBackendAPI when Clerk
// could not answer (also with ErrBackendAPIUnauthorized when it refused the secret key,
// ErrBackendAPIThrottled when it answered 429), when the answer is not Clerk's (such as
// the generic 404 page of a misconfigured URL, or a 200 without the endpoint's "object"),
// when the call was not made because of this verifier's limits (with
// ErrBackendAPIRateLimited, or ErrBackendAPIThrottled while a 429's Retry-After runs), or
// when ctx ended while waiting (with ctx's error). A credential Clerk accepted is
// accepted within MaxCacheTTL of Clerk's answer, and within StaleIfError more while it
// cannot be revalidated, whatever the limits and ctx. The clerkauth.Principal is the
// caller's to keep.
//
// For an OAuth token, the clerkauth.Principal's Name is the OAuth application's client_id.
func (b *BackendAPI) VerifyMachineToken(ctx context.Context, token string) (*clerkauth.Principal, error) {
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

// ask verifies token with the Backend API, inline: one call per token however many
// requests carry it at once, admitted by the budget of tier. seen is the known entry
// being revalidated, if any. The call is not tied to the first caller's context (its
// client may go away; the answer is worth caching) but keeps its values, and is bounded
// by the client's timeout; each caller stops waiting when its own context ends.
func (b *BackendAPI) ask(ctx context.Context, key [sha256.Size]byte, ep *bapiEndpoint, token string,
	tier bapiTier, seen *bapiKnown,
) (*clerkauth.Principal, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: gave up waiting: %w", clerkauth.ErrBackendAPI, err)
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
		return nil, fmt.Errorf("%w: gave up waiting: %w", clerkauth.ErrBackendAPI, ctx.Err())
	}
}
