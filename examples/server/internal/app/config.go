package app

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/unioneyes/authkit/audit"
	"github.com/unioneyes/authkit/clerkauth/machine"
	"github.com/unioneyes/authkit/jwks"
	"github.com/unioneyes/authkit/webhook"
)

// The environment variables the server reads.
const (
	EnvAddr                 = "ADDR"
	EnvJWTKey               = "CLERK_JWT_KEY"
	EnvJWKSURL              = "CLERK_JWKS_URL"
	EnvSecretKey            = "CLERK_SECRET_KEY"
	EnvAPIURL               = "CLERK_API_URL"
	EnvPublishableKey       = "CLERK_PUBLISHABLE_KEY"
	EnvIssuer               = "CLERK_ISSUER"
	EnvAuthorizedParties    = "CLERK_AUTHORIZED_PARTIES"
	EnvWebhookSecret        = "CLERK_WEBHOOK_SECRET"
	EnvWebhookSigningSecret = "CLERK_WEBHOOK_SIGNING_SECRET" // alias of EnvWebhookSecret
	EnvDatabaseURL          = "DATABASE_URL"
	EnvRedisURL             = "REDIS_URL"
	EnvRedisPrefix          = "REDIS_PREFIX"
	EnvTrustedProxies       = "TRUSTED_PROXIES"
	EnvCORSAllowedOrigins   = "CORS_ALLOWED_ORIGINS"
)

const (
	defaultAddr              = ":8000"
	defaultDevAddr           = "127.0.0.1:8000"
	defaultDatabaseURL       = "sqlite:authkit.db"
	defaultRedisPrefix       = "authkit:"
	maxRedisPrefixBytes      = 64
	wildcardOrigin           = "*"
	secretKeyPrefix          = "sk_"
	keySourceVariablesInText = EnvJWTKey + ", " + EnvJWKSURL + ", " + EnvSecretKey + " or " + EnvPublishableKey
)

// ErrInvalidConfig is wrapped by every error LoadConfig returns.
var ErrInvalidConfig = errors.New("invalid configuration")

// KeySource says where the session tokens' verification keys come from.
type KeySource int

// The key sources, in order of precedence: the first variable set wins.
const (
	// KeysDev: no key source is set; the server runs a local fake Clerk (dev mode).
	KeysDev KeySource = iota
	// KeysPEM: CLERK_JWT_KEY, Clerk's PEM public key (networkless).
	KeysPEM
	// KeysJWKSURL: CLERK_JWKS_URL.
	KeysJWKSURL
	// KeysBackendAPI: the Backend API's JWKS, with CLERK_SECRET_KEY, at CLERK_API_URL.
	KeysBackendAPI
	// KeysPublishableKey: the Frontend API's JWKS, derived from CLERK_PUBLISHABLE_KEY.
	KeysPublishableKey
)

// String names the key source by its variable.
func (k KeySource) String() string {
	switch k {
	case KeysPEM:
		return EnvJWTKey
	case KeysJWKSURL:
		return EnvJWKSURL
	case KeysBackendAPI:
		return EnvSecretKey
	case KeysPublishableKey:
		return EnvPublishableKey
	default:
		return "dev mode (local fake Clerk)"
	}
}

// Config is the server's configuration, read from the environment by LoadConfig, which
// validates every value. Fields marked secret are never logged (LogValue leaves them
// out) nor quoted in an error.
type Config struct {
	// Addr is the listen address (ADDR; default ":8000", "127.0.0.1:8000" in dev mode).
	Addr string
	// KeySource is where the verification keys come from.
	KeySource KeySource
	// JWTKey is CLERK_JWT_KEY, a PEM public key.
	JWTKey string
	// JWKSURL is CLERK_JWKS_URL.
	JWKSURL string
	// SecretKey is CLERK_SECRET_KEY. Secret. When set, machine tokens (API keys, M2M and
	// OAuth tokens) are verified with the Backend API, whatever the key source.
	SecretKey string
	// APIURL is CLERK_API_URL, the Backend API (default machine.DefaultBackendAPIURL).
	APIURL string
	// PublishableKey is CLERK_PUBLISHABLE_KEY.
	PublishableKey string
	// Issuer is the exact iss of the instance's tokens: CLERK_ISSUER, or derived from the
	// publishable key. Empty in dev mode (the fake Clerk's).
	Issuer string
	// AuthorizedParties is CLERK_AUTHORIZED_PARTIES: the origins allowed in azp. None
	// means azp is not checked (a start-up warning outside dev mode).
	AuthorizedParties []string
	// WebhookSecrets are the webhook signing secrets (CLERK_WEBHOOK_SECRET or its alias
	// CLERK_WEBHOOK_SIGNING_SECRET; several, comma-separated, during a rotation). Secret.
	WebhookSecrets []string
	// DatabaseURL is DATABASE_URL: "postgres://…", "postgresql://…", "sqlite:<path>" or
	// "sqlite::memory:". Secret (it may carry a password): logged redacted.
	DatabaseURL string
	// RedisURL is REDIS_URL (optional). Secret (it may carry a password): logged redacted.
	RedisURL string
	// RedisPrefix starts every Redis key (REDIS_PREFIX, default "authkit:").
	RedisPrefix string
	// TrustedProxies are the CIDRs whose X-Forwarded-For is believed (TRUSTED_PROXIES).
	TrustedProxies []string
	// CORSAllowedOrigins are the origins allowed to call with credentials
	// (CORS_ALLOWED_ORIGINS).
	CORSAllowedOrigins []string
	// Warnings are what the start-up log warns about: oddities found while loading (a
	// variable that another one overrides, say) and risky settings (no authorized
	// parties outside dev mode).
	Warnings []string
}

// DevMode reports whether no key source is set: the server then runs a local fake Clerk
// and the /dev endpoints.
func (c Config) DevMode() bool { return c.KeySource == KeysDev }

// LogValue implements slog.LogValuer: the configuration without its secrets.
func (c Config) LogValue() slog.Value {
	webhooks := "not configured (webhook endpoint answers 503)"
	switch {
	case len(c.WebhookSecrets) > 0:
		webhooks = fmt.Sprintf("%d signing secret(s)", len(c.WebhookSecrets))
	case c.DevMode():
		webhooks = "dev secret, generated at start"
	}
	issuer := c.Issuer
	if c.DevMode() {
		issuer = "(the fake Clerk's)"
	}
	attrs := []slog.Attr{
		slog.String("addr", c.Addr),
		slog.String("keys", c.KeySource.String()),
		slog.String("issuer", issuer),
		slog.Any("authorized_parties", c.AuthorizedParties),
		slog.Bool("machine_tokens", c.SecretKey != ""),
		slog.String("webhooks", webhooks),
		slog.String("database", redactURL(c.DatabaseURL)),
	}
	if c.RedisURL != "" {
		attrs = append(attrs, slog.String("redis", redactURL(c.RedisURL)), slog.String("redis_prefix", c.RedisPrefix))
	}
	attrs = append(attrs,
		slog.Any("trusted_proxies", c.TrustedProxies),
		slog.Any("cors_allowed_origins", c.CORSAllowedOrigins))
	return slog.GroupValue(attrs...)
}

// LoadConfig reads and validates the configuration. lookup is os.LookupEnv, or a map's
// lookup in tests; values are trimmed, and an empty value counts as unset (but a list
// variable set to nothing but commas is an error). Every problem found is reported in
// the one error (wrapping ErrInvalidConfig), each line naming its variable; a secret's
// value is never quoted.
func LoadConfig(lookup func(string) (string, bool)) (Config, error) {
	get := func(name string) string {
		v, _ := lookup(name)
		return strings.TrimSpace(v)
	}
	var problems []string
	bad := func(name, format string, args ...any) {
		problems = append(problems, name+": "+fmt.Sprintf(format, args...))
	}
	// list reads a comma-separated list. A variable that is set but lists nothing (","
	// say) is an error: unset, a list means "none", which for CLERK_AUTHORIZED_PARTIES
	// turns a check off; that must never come from a stray comma.
	list := func(name, raw string) []string {
		items := splitList(raw)
		if raw != "" && len(items) == 0 {
			bad(name, "set, but every comma-separated item is empty; unset it, or list at least one item")
		}
		return items
	}
	var c Config

	// Keys: the first variable set wins; the others still have to be valid.
	c.JWTKey, c.JWKSURL, c.SecretKey, c.PublishableKey = get(EnvJWTKey), get(EnvJWKSURL), get(EnvSecretKey), get(EnvPublishableKey)
	switch {
	case c.JWTKey != "":
		c.KeySource = KeysPEM
	case c.JWKSURL != "":
		c.KeySource = KeysJWKSURL
	case c.SecretKey != "":
		c.KeySource = KeysBackendAPI
	case c.PublishableKey != "":
		c.KeySource = KeysPublishableKey
	}
	if c.KeySource == KeysPEM && c.JWKSURL != "" {
		c.Warnings = append(c.Warnings, EnvJWKSURL+" is set but "+EnvJWTKey+" takes precedence: ignored")
	}
	if c.JWTKey != "" {
		if _, err := jwks.ParsePEM(c.JWTKey); err != nil {
			bad(EnvJWTKey, "not an RSA public key in PEM form (%v)", err)
		}
	}
	if c.JWKSURL != "" {
		if err := checkServiceURL(c.JWKSURL); err != nil {
			bad(EnvJWKSURL, "%v", err)
		}
	}
	if c.SecretKey != "" && (!strings.HasPrefix(c.SecretKey, secretKeyPrefix) ||
		strings.ContainsFunc(c.SecretKey, func(r rune) bool { return r <= ' ' || r > '~' })) {
		bad(EnvSecretKey, "not a Clerk secret key (sk_test_… or sk_live_…, no spaces)")
	}
	c.APIURL = get(EnvAPIURL)
	switch {
	case c.APIURL != "" && c.SecretKey == "":
		c.Warnings = append(c.Warnings, EnvAPIURL+" is set but "+EnvSecretKey+" is not: ignored")
	case c.APIURL != "":
		if err := checkServiceURL(c.APIURL); err != nil {
			bad(EnvAPIURL, "%v", err)
		}
	default:
		c.APIURL = machine.DefaultBackendAPIURL
	}
	var pk jwks.PublishableKey
	if c.PublishableKey != "" {
		var err error
		if pk, err = jwks.ParsePublishableKey(c.PublishableKey); err != nil {
			bad(EnvPublishableKey, "%v", err)
		}
	}

	// The issuer: exact, or derived from the publishable key.
	c.Issuer = get(EnvIssuer)
	switch {
	case c.DevMode() && c.Issuer != "":
		// Most likely a production deployment whose key variable is missing: refuse to
		// fall back to dev mode, which would mint tokens for anyone on its database.
		bad(EnvIssuer, "set, but no key source is (%s); set one, or unset %s to run in dev mode", keySourceVariablesInText, EnvIssuer)
	case c.Issuer != "":
		if err := checkIssuer(c.Issuer); err != nil {
			bad(EnvIssuer, "%v", err)
		} else if pk.FrontendAPI != "" && pk.Issuer() != c.Issuer {
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s %q differs from the publishable key's issuer %q; using %s", EnvIssuer, c.Issuer, pk.Issuer(), EnvIssuer))
		}
	case pk.FrontendAPI != "":
		c.Issuer = pk.Issuer()
	case !c.DevMode() && c.PublishableKey == "":
		bad(EnvIssuer, "required with %s (or set %s to derive it)", c.KeySource, EnvPublishableKey)
	}

	for _, o := range list(EnvAuthorizedParties, get(EnvAuthorizedParties)) {
		if err := checkOrigin(o); err != nil {
			bad(EnvAuthorizedParties, "%v", err)
			continue
		}
		c.AuthorizedParties = append(c.AuthorizedParties, o)
	}

	// Webhook secrets, under either name.
	secretVar, secrets := EnvWebhookSecret, get(EnvWebhookSecret)
	if alias := get(EnvWebhookSigningSecret); alias != "" {
		switch {
		case secrets == "":
			secretVar, secrets = EnvWebhookSigningSecret, alias
		case secrets != alias:
			bad(EnvWebhookSecret, "and %s are both set, to different values; set only one", EnvWebhookSigningSecret)
		}
	}
	if items := list(secretVar, secrets); len(items) > 0 {
		// The verifier's errors never quote a secret.
		if _, err := webhook.NewVerifier(webhook.VerifierConfig{Secrets: items}); err != nil {
			bad(secretVar, "%v", err)
		} else {
			c.WebhookSecrets = items
		}
	}

	c.DatabaseURL = get(EnvDatabaseURL)
	if c.DatabaseURL == "" {
		c.DatabaseURL = defaultDatabaseURL
	}
	if _, err := parseDatabaseURL(c.DatabaseURL); err != nil {
		bad(EnvDatabaseURL, "%v", err)
	}

	c.RedisURL, c.RedisPrefix = get(EnvRedisURL), get(EnvRedisPrefix)
	if c.RedisURL != "" {
		if _, err := redis.ParseURL(c.RedisURL); err != nil {
			// The parser's errors may quote the URL, and with it a password.
			bad(EnvRedisURL, "not a redis://, rediss:// or unix:// URL")
		}
	} else if c.RedisPrefix != "" {
		c.Warnings = append(c.Warnings, EnvRedisPrefix+" is set but "+EnvRedisURL+" is not: ignored")
	}
	if c.RedisPrefix == "" {
		c.RedisPrefix = defaultRedisPrefix
	} else if len(c.RedisPrefix) > maxRedisPrefixBytes ||
		strings.ContainsFunc(c.RedisPrefix, func(r rune) bool { return r <= ' ' || r > '~' }) {
		bad(EnvRedisPrefix, "must be at most %d printable ASCII characters without spaces", maxRedisPrefixBytes)
	}

	if c.TrustedProxies = list(EnvTrustedProxies, get(EnvTrustedProxies)); len(c.TrustedProxies) > 0 {
		if _, err := audit.RightmostUntrusted(c.TrustedProxies...); err != nil {
			bad(EnvTrustedProxies, "%v", err)
		}
	}

	for _, o := range list(EnvCORSAllowedOrigins, get(EnvCORSAllowedOrigins)) {
		if o == wildcardOrigin {
			bad(EnvCORSAllowedOrigins, "%q is refused: credentials are allowed, so list the origins", o)
			continue
		}
		if err := checkOrigin(o); err != nil {
			bad(EnvCORSAllowedOrigins, "%v", err)
			continue
		}
		c.CORSAllowedOrigins = append(c.CORSAllowedOrigins, o)
	}

	// The listen address; dev mode stays on loopback unless told otherwise.
	c.Addr = get(EnvAddr)
	switch {
	case c.Addr == "" && c.DevMode():
		c.Addr = defaultDevAddr
	case c.Addr == "":
		c.Addr = defaultAddr
	default:
		if err := checkAddr(c.Addr); err != nil {
			bad(EnvAddr, "%v", err)
		}
	}

	// Dev mode mints tokens for anyone who asks: it must never start where a production
	// deployment merely lost its key variable, so it refuses production settings.
	if c.DevMode() {
		for _, v := range []string{EnvWebhookSecret, EnvWebhookSigningSecret, EnvRedisURL, EnvTrustedProxies} {
			if get(v) != "" {
				bad(v, "set, but no key source is (%s): dev mode refuses production settings; set a key source, or unset %s", keySourceVariablesInText, v)
			}
		}
		if !strings.HasPrefix(c.DatabaseURL, sqlitePrefix) {
			bad(EnvDatabaseURL, "is not SQLite, but no key source is set (%s): dev mode runs on a local SQLite database only", keySourceVariablesInText)
		}
		if host, _, err := net.SplitHostPort(c.Addr); err == nil && !jwks.IsLoopback(host) {
			bad(EnvAddr, "%q is not a loopback address, but no key source is set (%s): dev mode listens on loopback only", c.Addr, keySourceVariablesInText)
		}
		for _, list := range []struct {
			name    string
			origins []string
		}{{EnvAuthorizedParties, c.AuthorizedParties}, {EnvCORSAllowedOrigins, c.CORSAllowedOrigins}} {
			for _, o := range list.origins {
				if u, err := url.Parse(o); err == nil && !jwks.IsLoopback(u.Hostname()) {
					bad(list.name, "%q is not a local origin, but no key source is set (%s): dev mode serves local frontends only", o, keySourceVariablesInText)
				}
			}
		}
	}

	if !c.DevMode() && len(c.AuthorizedParties) == 0 {
		c.Warnings = append(c.Warnings, EnvAuthorizedParties+" is not set: the azp claim is not checked, so a session token "+
			"minted for any other origin of this Clerk instance (another of your subdomains or apps) is accepted, and so is one "+
			"taken from a leaked __session cookie of such a site; list your frontends' origins")
	}

	if len(problems) > 0 {
		return Config{}, fmt.Errorf("%w:\n  %s", ErrInvalidConfig, strings.Join(problems, "\n  "))
	}
	return c, nil
}

// splitList splits a comma-separated list, trimming items and dropping empty ones.
func splitList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// checkAddr accepts host:port with a numeric port (the host may be empty).
func checkAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port (such as :8000 or 127.0.0.1:8000)", addr)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("%q has no valid port number", addr)
	}
	return nil
}

// checkServiceURL accepts an absolute https URL without user info, query or fragment
// (http only on a loopback host, for local development and tests).
func checkServiceURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return errors.New("not an absolute URL")
	}
	if u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return errors.New("must have no user info, query or fragment")
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && jwks.IsLoopback(u.Hostname())) {
		return fmt.Errorf("%q must use https (http only on a loopback host)", raw)
	}
	return nil
}

// checkIssuer accepts what the verifier compares iss with: an absolute https URL (http on
// loopback) without a trailing slash, query or fragment.
func checkIssuer(iss string) error {
	if err := checkServiceURL(iss); err != nil {
		return err
	}
	if strings.HasSuffix(iss, "/") {
		return fmt.Errorf("%q must not end with a slash: it is compared byte for byte with the tokens' iss", iss)
	}
	return nil
}

// checkOrigin accepts a serialized origin as browsers send it: scheme://host[:port], lower
// case, without path, trailing slash or default port.
func checkOrigin(o string) error {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.HasSuffix(o, "#") {
		return fmt.Errorf("%q is not an origin (scheme://host[:port], no path or trailing slash)", o)
	}
	if o != strings.ToLower(o) {
		return fmt.Errorf("%q must be lower case, as browsers send origins", o)
	}
	if p := u.Port(); (u.Scheme == "https" && p == "443") || (u.Scheme == "http" && p == "80") {
		return fmt.Errorf("%q names the default port, which browsers omit", o)
	}
	return nil
}

// redactURL returns a database or Redis URL fit for a log line: no password, no query
// (where some drivers accept one).
func redactURL(raw string) string {
	if strings.HasPrefix(raw, sqlitePrefix) {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return "(unparseable URL)"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	u.RawQuery, u.ForceQuery, u.Fragment = "", false, ""
	return u.String()
}
