package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unioneyes/authkit/audit"
	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/clerkauth/machine"
	"github.com/unioneyes/authkit/clerkauth/redisstore"
	"github.com/unioneyes/authkit/clerkauth/sqlstore"
	"github.com/unioneyes/authkit/clerkauth/store"
	"github.com/unioneyes/authkit/jwks"
	"github.com/unioneyes/authkit/orgctx"
	"github.com/unioneyes/authkit/webhook"
)

const (
	// devKeysTimeout is how long dev-mode start-up waits for the fake Clerk's key set,
	// served on this machine. Other key sets are never waited for: the server listens at
	// once, and requests answer 503 until the first keys arrive.
	devKeysTimeout = 10 * time.Second
	// redisTimeout bounds the start-up ping of Redis.
	redisTimeout = 5 * time.Second
	// userCacheTTL is how long a user read from the database is trusted without reading
	// it again. A webhook handled by this process updates the cache at once; one handled
	// by another replica reaches this one within the TTL, about the lifetime of a Clerk
	// session token.
	userCacheTTL = time.Minute
)

// Options are what the program gives the server besides its Config.
type Options struct {
	// Logger receives the operational logs: start-up, warnings, failures. Nil means
	// slog.Default().
	Logger *slog.Logger
	// Audit receives the audit trail, one JSON line per request. Nil means os.Stdout.
	Audit io.Writer
	// Banner receives the DEV MODE banner in dev mode. Nil: no banner.
	Banner io.Writer
	// Ready, when set, is called with the server's base URL ("http://127.0.0.1:8000")
	// once it listens.
	Ready func(baseURL string)
}

// App is the assembled server: stores, verifier, webhook endpoint and middleware chain.
// Build it with New, run it with Serve, release it with Close.
type App struct {
	cfg     Config
	opts    Options
	log     *slog.Logger
	dev     *devClerk       // dev mode only
	keys    *backgroundKeys // a remote key set (not CLERK_JWT_KEY)
	handler http.Handler

	closers   []func() error // released by Close, last first
	closeOnce sync.Once
	closeErr  error
}

// New connects to the database (and Redis), migrates it, starts loading the keys and
// builds the request path. It does not wait for a remote key set (but for dev mode's
// local one): until its first keys arrive, the health check answers 503 and so do the
// requests that need them. Nothing listens yet (Serve does). On error, whatever was
// opened is closed.
func New(ctx context.Context, cfg Config, opts Options) (_ *App, err error) {
	a := &App{cfg: cfg, opts: opts, log: opts.Logger}
	if a.log == nil {
		a.log = slog.Default()
	}
	defer func() {
		if err != nil {
			_ = a.Close()
		}
	}()
	for _, w := range cfg.Warnings {
		a.log.Warn("configuration: " + w)
	}
	a.log.Info("configuration", "config", cfg)

	sqlStore, db, err := openStore(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", redactURL(cfg.DatabaseURL), err)
	}
	a.onClose(db.Close)
	deps := map[string]pinger{"database": sqlStore}

	// Revocations live in the database unless Redis is there to share them (and the
	// webhook deduplication marks) between replicas.
	var revocations store.Revocations = sqlStore
	var dedupe store.Dedupe
	if cfg.RedisURL != "" {
		shared, err := a.openRedis(ctx)
		if err != nil {
			return nil, fmt.Errorf("redis %s: %w", redactURL(cfg.RedisURL), err)
		}
		revocations, dedupe, deps["redis"] = shared, shared, shared
	}

	keys, issuer, err := a.keySource(ctx)
	if err != nil {
		return nil, err
	}
	if a.keys != nil {
		// Not ready until the first key set arrived: every authenticated request
		// answers 503 until then.
		deps["keys"] = a.keys
	}
	var machines clerkauth.MachineVerifier
	if cfg.SecretKey != "" {
		// No route of this server takes machine tokens yet; a route that adds
		// clerkauth.Accept(clerkauth.KindAPIKey, …) gets them verified here.
		if machines, err = machine.NewBackendAPI(machine.BackendAPIConfig{SecretKey: cfg.SecretKey, URL: cfg.APIURL, Logger: a.log}); err != nil {
			return nil, err
		}
	}
	users, err := clerkauth.NewUserCache(sqlStore, clerkauth.UserCacheConfig{TTL: userCacheTTL})
	if err != nil {
		return nil, err
	}
	verifier, err := clerkauth.NewVerifier(clerkauth.Config{
		Keys:              keys,
		Issuer:            issuer,
		AuthorizedParties: cfg.AuthorizedParties,
		Users:             users,
		Revocations:       revocations,
		Machine:           machines,
	})
	if err != nil {
		return nil, err
	}
	hooks, err := a.webhooks(verifier, sqlStore, revocations, dedupe)
	if err != nil {
		return nil, err
	}
	auditor, err := a.auditor()
	if err != nil {
		return nil, err
	}

	mux := newRouter()
	session := verifier.Middleware()
	mux.Handle("GET /api/auth_core/health/{$}", &healthHandler{deps: deps, log: a.log})
	mux.Handle("/api/auth_core/webhooks/clerk/{$}", hooks) // answers 405 to anything but POST itself
	mux.Handle("GET /api/auth_core/me/{$}", session(http.HandlerFunc(handleMe)))
	mux.Handle("GET /api/auth_core/orgs/{org_id}/members/{$}", session(orgctx.RequireOrgParam("org_id")(
		&membersHandler{orgs: sqlStore, log: a.log})))
	mux.Handle("GET /api/auth_core/orgs/{org_id}/admin/{$}", session(orgctx.RequireOrgParam("org_id")(orgctx.RequireAnyRole("org:admin")(
		&membersHandler{orgs: sqlStore, users: verifier.Users(), log: a.log}))))
	if a.dev != nil {
		a.dev.hooks = hooks
		a.dev.routes(mux)
	}
	a.handler = auditor.Handler(newCORS(cfg.CORSAllowedOrigins, mux.Methods())(audit.CaptureRoute(refuseUnrouted(mux.ServeMux))))
	return a, nil
}

// Handler is the server's whole request path, audit middleware included.
func (a *App) Handler() http.Handler { return a.handler }

// Close releases what New opened: the fake Clerk, the key set, Redis, the database. It
// is idempotent.
func (a *App) Close() error {
	a.closeOnce.Do(func() {
		var errs []error
		for i := len(a.closers) - 1; i >= 0; i-- {
			errs = append(errs, a.closers[i]())
		}
		a.closeErr = errors.Join(errs...)
	})
	return a.closeErr
}

// onClose registers fn to run at Close, before whatever was registered earlier.
func (a *App) onClose(fn func() error) { a.closers = append(a.closers, fn) }

// openRedis connects to REDIS_URL and checks that it answers.
func (a *App) openRedis(ctx context.Context) (*redisstore.Store, error) {
	opts, err := redis.ParseURL(a.cfg.RedisURL)
	if err != nil { // LoadConfig checked it; never quote the cause (it may quote the URL)
		return nil, errors.New("not a valid URL")
	}
	client := redis.NewClient(opts)
	a.onClose(client.Close)
	shared, err := redisstore.New(client, redisstore.Config{Prefix: a.cfg.RedisPrefix})
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, redisTimeout)
	defer cancel()
	if err := shared.Ping(pctx); err != nil {
		return nil, err
	}
	return shared, nil
}

// keySource returns the verification keys and the issuer, starting the fake Clerk in dev
// mode.
func (a *App) keySource(ctx context.Context) (jwks.Source, string, error) {
	cfg := a.cfg
	switch cfg.KeySource {
	case KeysPEM:
		keys, err := jwks.ParsePEM(cfg.JWTKey)
		return keys, cfg.Issuer, err
	case KeysJWKSURL:
		return a.remote(ctx, jwks.RemoteConfig{URL: cfg.JWKSURL}), cfg.Issuer, nil
	case KeysBackendAPI:
		return a.remote(ctx, jwks.RemoteConfig{URL: strings.TrimRight(cfg.APIURL, "/") + "/jwks", SecretKey: cfg.SecretKey}), cfg.Issuer, nil
	case KeysPublishableKey:
		pk, err := jwks.ParsePublishableKey(cfg.PublishableKey)
		if err != nil {
			return nil, "", err
		}
		return a.remote(ctx, jwks.RemoteConfig{URL: pk.JWKSURL()}), cfg.Issuer, nil
	default:
		a.dev = newDevClerk(cfg.WebhookSecrets, cfg.AuthorizedParties)
		a.onClose(func() error { a.dev.Close(); return nil })
		a.log.Warn("DEV MODE: no key source is set; a local fake Clerk mints the tokens, /dev endpoints are on (direct requests from this machine only)",
			"fake_issuer", a.dev.issuer.Issuer())
		// The real path: the fake Clerk's JWKS over HTTP, as Clerk's would be fetched.
		// It is on this machine: start-up waits for it, and fails without it.
		keys := a.remote(ctx, jwks.RemoteConfig{URL: a.dev.issuer.JWKSURL()})
		rctx, cancel := context.WithTimeout(ctx, devKeysTimeout)
		defer cancel()
		if err := keys.Ready(rctx); err != nil {
			return nil, "", fmt.Errorf("the fake Clerk's key set: %w", err)
		}
		return keys, a.dev.issuer.Issuer(), nil
	}
}

// remote starts a remote key set in the background (see backgroundKeys); Close stops it.
func (a *App) remote(ctx context.Context, rc jwks.RemoteConfig) *backgroundKeys {
	rc.Logger = a.log
	a.keys = startKeys(ctx, rc, a.log)
	a.onClose(a.keys.Close)
	return a.keys
}

// webhooks returns the webhook endpoint: verified, deduplicated, and applied to the
// stores through the verifier's user cache, so that a user.deleted handled here refuses
// the user's next request at once. Without a secret it answers 503: unsigned webhooks
// are never accepted.
func (a *App) webhooks(verifier *clerkauth.Verifier, sqlStore *sqlstore.Store, revocations store.Revocations, dedupe store.Dedupe) (http.Handler, error) {
	secrets := a.cfg.WebhookSecrets
	if a.dev != nil && len(secrets) == 0 {
		secrets = []string{a.dev.secret} // generated at start, printed in the banner
	}
	if len(secrets) == 0 {
		a.log.Warn(EnvWebhookSecret + " is not set: the webhook endpoint answers 503 and users, organizations, memberships and revocations are not kept in sync with Clerk")
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			orgctx.Refuse(w, r, orgctx.Failure{Status: http.StatusServiceUnavailable, Code: orgctx.CodeUnavailable, Detail: "webhooks are not configured", RetryAfter: time.Minute})
		}), nil
	}
	v, err := webhook.NewVerifier(webhook.VerifierConfig{Secrets: secrets})
	if err != nil {
		return nil, err
	}
	if dedupe == nil {
		a.log.Info("webhook deduplication in memory: right for a single replica; set " + EnvRedisURL + " to share it between replicas")
	}
	h, err := webhook.NewHandler(webhook.HandlerConfig{Verifier: v, Dedupe: dedupe, Logger: a.log})
	if err != nil {
		return nil, err
	}
	err = h.Sync(webhook.SyncConfig{Users: verifier.Users(), Orgs: sqlStore, Revocations: revocations})
	return h, err
}

// auditor writes one JSON line per request to the audit output, with client addresses
// taken from X-Forwarded-For only behind the trusted proxies.
func (a *App) auditor() (*audit.Auditor, error) {
	clientIP := audit.RemoteAddr()
	if len(a.cfg.TrustedProxies) > 0 {
		var err error
		if clientIP, err = audit.RightmostUntrusted(a.cfg.TrustedProxies...); err != nil {
			return nil, err
		}
	}
	out := a.opts.Audit
	if out == nil {
		out = os.Stdout
	}
	sink := audit.SlogSink(slog.New(slog.NewJSONHandler(out, nil)))
	if a.dev != nil {
		sink = audit.MultiSink(sink, a.dev.audit) // the console's last records
	}
	return audit.New(audit.Config{Sink: sink, ClientIP: clientIP, Logger: a.log})
}
