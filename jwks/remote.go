package jwks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// Defaults for [RemoteConfig].
const (
	DefaultHTTPTimeout        = 10 * time.Second
	DefaultRefreshInterval    = time.Hour
	DefaultUnknownKIDInterval = 30 * time.Second
	DefaultRetryInterval      = time.Second
	// maxRetryInterval caps the back-off between retries of a failing endpoint.
	maxRetryInterval = time.Minute
)

// RemoteConfig configures [NewRemote]. Zero fields take the documented defaults.
type RemoteConfig struct {
	// URL of the key set: Clerk's Frontend API "https://<fapi>/.well-known/jwks.json"
	// (public), or the Backend API "https://api.clerk.com/v1/jwks" (needs SecretKey).
	// It must be https, except on a loopback host (for tests and local development).
	URL string

	// SecretKey, when set, is sent as "Authorization: Bearer <SecretKey>" with every
	// request to URL's origin (never to a redirect elsewhere). The Backend API needs it;
	// the Frontend API does not. It is never logged.
	SecretKey string

	// HTTPClient makes the requests. Its Transport is wrapped (to add the secret key and cap
	// responses at MaxResponseBytes) and its Timeout defaults to DefaultHTTPTimeout; the
	// caller's client itself is not modified. Nil means a client of this package's own.
	HTTPClient *http.Client

	// RefreshInterval is how often the key set is fetched in the background, with ±10%
	// jitter so replicas do not fetch in step. Default DefaultRefreshInterval (1 h).
	RefreshInterval time.Duration

	// UnknownKIDInterval is the least time between two fetches caused by tokens whose kid
	// is not in the set (a key rotation, or forged tokens), however many such tokens
	// arrive; concurrent lookups share one fetch. It is also the longest a token signed
	// with a newly published key waits to be accepted (plus fetch time), whatever else
	// is sent meanwhile: a lookup the interval stops from fetching fails with
	// [KeyPendingError] (a 503, not a 401), and the Remote fetches on its own once the
	// interval has passed. Default DefaultUnknownKIDInterval (30 s); at least 1 s.
	UnknownKIDInterval time.Duration

	// RetryInterval is the wait before retrying after a failed fetch (at start-up, or a
	// failed refresh); it doubles on each further failure up to a minute (capped by
	// RefreshInterval). These retries do not count against UnknownKIDInterval.
	// Default DefaultRetryInterval (1 s).
	RetryInterval time.Duration

	// Logger receives refresh failures and refused keys (never the secret key).
	// Nil means slog.Default().
	Logger *slog.Logger

	// Now is the clock of the unknown-kid interval. Nil means time.Now.
	Now func() time.Time
}

// Remote is a key set fetched over HTTP and kept fresh in the background. It is built on
// keyfunc/v3 over a jwkset HTTP storage, adding what Clerk verification needs: key
// filtering (RSA, use "sig", RS256/RS384/RS512, at least 2048 bits), one fetch at a time,
// refreshes for unknown kids at most once per UnknownKIDInterval that still accept a
// newly published key within that interval (the package doc, "Unknown kids", has the
// rules), retries with back-off that do not depend on that interval, a response size cap,
// and a distinct [ErrKeysUnavailable] until the first key set arrives. Keys already known
// keep working whatever the endpoint does.
//
// A Remote is safe for concurrent use. Close it (or cancel the context given to
// [NewRemote]) to stop its goroutine.
type Remote struct {
	url                string
	httpTimeout        time.Duration
	refreshInterval    time.Duration
	unknownKIDInterval time.Duration
	retryInterval      time.Duration
	maxRetry           time.Duration
	logger             *slog.Logger
	now                func() time.Time

	client *http.Client
	owned  *http.Transport // closed on Close when the client is ours
	store  *indexStorage
	kf     keyfunc.Keyfunc

	ctx    context.Context
	cancel context.CancelFunc
	wake   chan struct{}
	done   chan struct{} // closed when the refresh goroutine ends

	loaded     chan struct{} // closed on the first successful fetch
	isLoaded   atomic.Bool
	lastFailed atomic.Bool    // the most recent fetch failed
	running    sync.WaitGroup // fetches in progress

	mu          sync.Mutex
	closed      bool
	flight      *flight     // the fetch in progress, or nil
	flights     uint64      // fetches started so far (the last flight's seq)
	lastUnknown time.Time   // when the last fetch caused by an unknown kid started
	owed        bool        // a lookup got KeyPendingError since the last fetch started
	deferred    *time.Timer // the fetch owed to those lookups, once armed
	withdrawn   []string    // kids dropped by a fetch, oldest first, at most maxWithdrawn
}

var _ ContextSource = (*Remote)(nil)

// NewRemote checks cfg, fetches the key set once and starts refreshing it in the
// background. A failed first fetch is not an error: the Remote starts without keys
// (lookups fail with [ErrKeysUnavailable]) and retries with back-off until keys arrive,
// so a service does not crash because Clerk was briefly unreachable; call [Remote.Ready]
// to wait for keys instead. ctx bounds the Remote's whole life, not only the first fetch.
func NewRemote(ctx context.Context, cfg RemoteConfig) (*Remote, error) {
	u, err := checkURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(cfg.SecretKey) != cfg.SecretKey || strings.ContainsAny(cfg.SecretKey, "\r\n") {
		return nil, fmt.Errorf("%w: SecretKey has surrounding whitespace or a line break", ErrInvalidConfig)
	}
	for _, d := range []struct {
		name     string
		d, least time.Duration
	}{
		{"RefreshInterval", cfg.RefreshInterval, time.Second},
		{"UnknownKIDInterval", cfg.UnknownKIDInterval, time.Second},
		{"RetryInterval", cfg.RetryInterval, time.Millisecond},
	} {
		if d.d < 0 || d.d != 0 && d.d < d.least {
			return nil, fmt.Errorf("%w: %s %v: zero for the default, or at least %v", ErrInvalidConfig, d.name, d.d, d.least)
		}
	}
	r := &Remote{
		url:                u.String(),
		httpTimeout:        DefaultHTTPTimeout,
		refreshInterval:    orDefault(cfg.RefreshInterval, DefaultRefreshInterval),
		unknownKIDInterval: orDefault(cfg.UnknownKIDInterval, DefaultUnknownKIDInterval),
		retryInterval:      orDefault(cfg.RetryInterval, DefaultRetryInterval),
		logger:             cfg.Logger,
		now:                cfg.Now,
		store:              newIndexStorage(),
		wake:               make(chan struct{}, 1),
		done:               make(chan struct{}),
		loaded:             make(chan struct{}),
	}
	r.maxRetry = min(maxRetryInterval, r.refreshInterval)
	r.retryInterval = min(r.retryInterval, r.maxRetry)
	if r.logger == nil {
		r.logger = slog.Default()
	}
	if r.now == nil {
		r.now = time.Now
	}
	r.client, r.owned = newClient(cfg.HTTPClient, u, cfg.SecretKey)
	if cfg.HTTPClient != nil && cfg.HTTPClient.Timeout > 0 {
		r.httpTimeout = cfg.HTTPClient.Timeout
	}
	r.store.onReplace = r.replaced
	r.kf, err = keyfunc.New(keyfunc.Options{Ctx: ctx, Storage: r.store})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	r.ctx, r.cancel = context.WithCancel(ctx)

	if err := r.fetchNow("start-up"); err != nil {
		r.logger.Warn("jwks: starting without keys; retrying in the background", "url", r.url, "error", err)
	}
	go r.loop()
	return r, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// checkURL accepts an absolute https URL, or http on a loopback host.
func checkURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("%w: URL is required", ErrInvalidConfig)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: URL: %w", ErrInvalidConfig, err)
	}
	if u.Host == "" || u.User != nil || u.Fragment != "" {
		return nil, fmt.Errorf("%w: URL %q must be absolute, without user info or fragment", ErrInvalidConfig, raw)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !IsLoopback(u.Hostname()) {
			return nil, fmt.Errorf("%w: URL %q must use https (http only on a loopback host)", ErrInvalidConfig, raw)
		}
	default:
		return nil, fmt.Errorf("%w: URL %q must use https", ErrInvalidConfig, raw)
	}
	return u, nil
}

// newClient returns the client fetches use, and the transport to close if it is ours.
func newClient(given *http.Client, origin *url.URL, secret string) (*http.Client, *http.Transport) {
	var owned *http.Transport
	c := &http.Client{Timeout: DefaultHTTPTimeout}
	base := http.RoundTripper(nil)
	if given != nil {
		*c = *given
		if c.Timeout <= 0 {
			c.Timeout = DefaultHTTPTimeout
		}
		base = given.Transport
	}
	if base == nil {
		owned = http.DefaultTransport.(*http.Transport).Clone()
		base = owned
	}
	bearer := ""
	if secret != "" {
		bearer = "Bearer " + secret
	}
	c.Transport = &transport{base: base, origin: origin, bearer: bearer, maxBytes: MaxResponseBytes}
	c.CheckRedirect = checkRedirect(c.CheckRedirect)
	return c, owned
}

// Keyfunc implements [Source]. It is KeyfuncCtx with the context given to NewRemote; a
// caller that has a request context should prefer KeyfuncCtx.
func (r *Remote) Keyfunc(token *jwt.Token) (any, error) {
	return r.Key(r.ctx, token)
}

// KeyfuncCtx returns a [jwt.Keyfunc] for golang-jwt's parser that stops waiting for a
// fetch when ctx ends.
func (r *Remote) KeyfuncCtx(ctx context.Context) jwt.Keyfunc {
	return func(token *jwt.Token) (any, error) { return r.Key(ctx, token) }
}

// Key implements [ContextSource]: the key for token; when the lookup has to wait for a
// fetch, it stops waiting when ctx ends.
func (r *Remote) Key(ctx context.Context, token *jwt.Token) (any, error) {
	alg := tokenAlg(token)
	if !isRSAAlg(alg) {
		return nil, fmt.Errorf("%w: alg %q", ErrKeyAlgorithm, alg)
	}
	kid, ok := tokenKID(token)
	if !ok {
		return nil, ErrMissingKID
	}
	if key, err, found := r.lookup(ctx, token); found {
		return key, err
	}
	if !r.isLoaded.Load() {
		return nil, fmt.Errorf("%w: no key set loaded yet from %s", ErrKeysUnavailable, r.url)
	}
	return r.unknownKID(ctx, token, kid)
}

// lookup asks keyfunc for the token's key; found is false when the kid is not in the set.
func (r *Remote) lookup(ctx context.Context, token *jwt.Token) (key any, err error, found bool) {
	key, err = r.kf.KeyfuncCtx(ctx)(token)
	if err == nil {
		return key, nil, true
	}
	if errors.Is(err, jwkset.ErrKeyNotFound) {
		return nil, nil, false
	}
	return nil, fmt.Errorf("%w: %w", ErrKeyAlgorithm, err), true
}

func isRSAAlg(alg string) bool { return alg == RS256 || alg == RS384 || alg == RS512 }

// fetch loads the key set once through a jwkset HTTP storage writing into r.store. On
// failure the store is untouched, so the keys already known stay. Only a flight calls it
// (see run), so fetches never overlap.
func (r *Remote) fetch(reason string) error {
	_, err := jwkset.NewStorageFromHTTP(r.url, jwkset.HTTPClientStorageOptions{
		Client:      r.client,
		Ctx:         r.ctx,
		HTTPTimeout: r.httpTimeout,
		Storage:     r.store,
	})
	if err != nil {
		r.logger.Warn("jwks: key set refresh failed; keeping the keys already known",
			"url", r.url, "reason", reason, "known_keys", r.store.size(), "error", err)
		if !r.lastFailed.Swap(true) {
			r.nudge()
		}
		return err
	}
	r.lastFailed.Store(false)
	if !r.isLoaded.Swap(true) {
		close(r.loaded)
	}
	return nil
}

// replaced logs what a successful fetch refused, and an empty set, and remembers the
// kids it dropped.
func (r *Remote) replaced(old, idx *keyIndex, refused []error) {
	for _, err := range refused {
		r.logger.Warn("jwks: ignoring a key of the key set", "url", r.url, "error", err)
	}
	if len(idx.list) == 0 {
		r.logger.Warn("jwks: the key set has no usable key; every token will be refused", "url", r.url)
	}
	r.mu.Lock()
	r.noteWithdrawnLocked(old, idx)
	r.mu.Unlock()
}

// nudge wakes the refresh goroutine so it reconsiders its wait (when fetches start failing).
func (r *Remote) nudge() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// loop refreshes every RefreshInterval (with jitter) while the last fetch succeeded, and
// retries with doubling back-off while it failed or no key set was ever loaded.
func (r *Remote) loop() {
	defer close(r.done)
	backoff := r.retryInterval
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		wait := jitter(r.refreshInterval, 0.1)
		if r.lastFailed.Load() || !r.isLoaded.Load() {
			wait = jitter(backoff, 0.2)
		}
		timer.Reset(wait)
		select {
		case <-r.ctx.Done():
			return
		case <-r.wake:
			// A fetch elsewhere just started failing: switch to the retry schedule.
			timer.Stop()
			continue
		case <-timer.C:
		}
		// A fetch already in progress serves as this refresh.
		if err := r.fetchNow("refresh"); err != nil {
			backoff = min(2*backoff, r.maxRetry)
		} else {
			backoff = r.retryInterval
		}
	}
}

// jitter returns d scaled by a random factor in [1-f, 1+f].
func jitter(d time.Duration, f float64) time.Duration {
	return time.Duration(float64(d) * (1 - f + 2*f*rand.Float64()))
}

// Ready waits until a key set has been loaded, ctx ends or the Remote is closed. A
// service that prefers to fail fast calls it at start-up with a deadline.
func (r *Remote) Ready(ctx context.Context) error {
	select {
	case <-r.loaded:
		return nil
	default:
	}
	select {
	case <-r.loaded:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrKeysUnavailable, ctx.Err())
	case <-r.ctx.Done():
		return ErrClosed
	}
}

// HasKey reports whether a usable key with this kid is loaded, without fetching.
func (r *Remote) HasKey(kid string) bool {
	_, ok := r.store.lookup(kid)
	return ok
}

// KeyIDs lists the kids of the usable keys currently loaded, in document order.
func (r *Remote) KeyIDs() []string { return r.store.kids() }

// Close stops the refresh goroutine, waits for fetches in flight and releases idle
// connections. Keys already loaded keep verifying; no fetch happens any more. Close is
// idempotent and always returns nil.
func (r *Remote) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	if r.deferred != nil {
		r.deferred.Stop()
		r.deferred = nil
	}
	r.mu.Unlock()
	r.cancel()
	<-r.done
	r.running.Wait()
	if r.owned != nil {
		r.owned.CloseIdleConnections()
	}
	return nil
}
