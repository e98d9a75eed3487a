package clerkauth

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/unioneyes/authkit/clerkauth/internal/typednil"

	"github.com/golang-jwt/jwt/v5"

	"github.com/unioneyes/authkit/clerkauth/store"
	"github.com/unioneyes/authkit/jwks"
)

// Defaults and limits of Config.
const (
	// DefaultLeeway is the clock skew allowed on exp, nbf and iat (Clerk's SDKs use 5 s).
	DefaultLeeway = 5 * time.Second
	// MaxLeeway is the largest leeway NewVerifier accepts.
	MaxLeeway = 5 * time.Minute
	// DefaultMaxTokenBytes caps a token's length before any parsing. Clerk's session
	// tokens live in a cookie and stay under 4 KB.
	DefaultMaxTokenBytes = 8 << 10
)

// ErrInvalidConfig is wrapped by every error NewVerifier returns.
var ErrInvalidConfig = errors.New("clerkauth: invalid configuration")

// Config configures NewVerifier. Zero fields take the documented defaults; NewVerifier
// checks everything once and copies what it keeps, so changing a Config afterwards has
// no effect. An interface field holding a nil pointer (a nil *UserCache as Users, say) is
// an error, never taken for "not set".
type Config struct {
	// Keys verify the tokens' signatures: a *jwks.Remote (Clerk's JWKS) or a
	// *jwks.Static (Clerk's PEM key, networkless). Use one key source per Clerk instance: a
	// token of another instance then finds no key. Required, unless the verifier is for
	// machine credentials only (Machine set, no Keys and no Issuer): then every session
	// token is refused with ErrKindNotAccepted.
	Keys jwks.Source

	// Issuer is the instance's Frontend API URL, exactly as tokens carry it in iss:
	// "https://clerk.example.com" in production, "https://<slug>.clerk.accounts.dev" in
	// development ([jwks.PublishableKey.Issuer] derives it). Compared byte for byte, never
	// as a prefix. Required unless Issuers is set.
	Issuer string

	// Issuers are further accepted issuers, for proxy and satellite domains.
	Issuers []string

	// AuthorizedParties are the origins ("https://app.example.com", no path, no trailing
	// slash) allowed to have requested the token. When set, azp must be present and one
	// of them, exactly: this stops a token minted on another of your subdomains (or a
	// leaked cookie) from being used here. Recommended in production.
	AuthorizedParties []string

	// Algorithms allowed, from "RS256", "RS384", "RS512". Default ["RS256"], Clerk's. The
	// token's alg is checked against this list; it never chooses the algorithm.
	Algorithms []string

	// Leeway is the clock skew allowed on exp, nbf and iat: default DefaultLeeway (5 s),
	// at most MaxLeeway. Set ExactTime for none.
	Leeway time.Duration

	// ExactTime disables the leeway (a token expires exactly at exp).
	ExactTime bool

	// AllowPending accepts sessions whose status (sts) is "pending": signed in, with
	// tasks left (choosing an organization, say). Refused by default.
	AllowPending bool

	// MaxTokenBytes caps the token's length; default DefaultMaxTokenBytes (8 KiB).
	MaxTokenBytes int

	// Now is the clock; nil means time.Now.
	Now func() time.Time

	// Users, when set, keeps a local user for every session: the middleware creates it on
	// the user's first request (from sub, and the email, first_name and last_name custom
	// claims when the session token carries them), refuses a user deactivated by webhook
	// (403, ErrUserDeactivated) and puts the user in the context (UserFromContext). Known
	// users are answered from memory: give a *UserCache (and the same one to the webhook
	// sync) to choose its settings; any other store is wrapped in a UserCache with the
	// defaults. A machine credential that acts for a user (an OAuth access token, a
	// user's API key: its subject is "user_…") meets the same checks: refused (403) once
	// the user is deactivated, 503 when the store cannot say, the user in the context; an
	// unknown user is created with the id alone. Credentials of organizations, machines
	// and service accounts are not checked against users.
	Users store.Users

	// Revocations, when set, refuses tokens of sessions Clerk revoked or ended (401,
	// ErrSessionRevoked), as the webhook sync records them. It is asked on every request
	// (a Redis round trip with redisstore): revocation takes effect at once.
	Revocations store.Revocations

	// TokenCache remembers verified tokens so a token seen again (a session token is sent
	// with every request for up to a minute) skips the signature check: about 30 times
	// faster. Nil means a MemoryTokenCache with the defaults; see DisableTokenCache.
	TokenCache TokenCache

	// DisableTokenCache verifies every token in full.
	DisableTokenCache bool

	// Machine verifies machine credentials (API keys, M2M and OAuth tokens, service
	// account keys) for the routes whose middleware accepts them (Accept). Nil: the
	// middleware refuses every machine credential.
	Machine MachineVerifier
}

// settings is a validated Config.
type settings struct {
	keys      jwks.Source
	ctxKeys   jwks.ContextSource // keys, when it can honour a context
	keyCheck  jwks.KeyChecker    // keys, when it can tell a withdrawn key
	issuers   []string
	parties   []string
	methods   map[string]*jwt.SigningMethodRSA
	boxedAlgs map[string]any
	leeway    time.Duration
	pending   bool
	maxBytes  int
	now       func() time.Time
	users     *UserCache
	revoked   store.Revocations
	// revokedBreaker guards the reads of revoked.
	revokedBreaker *breaker
	cache          TokenCache
	keyer          tokenKeyer
	machine        MachineVerifier
}

func (c Config) validate() (*settings, error) {
	// A typed nil (a nil *UserCache given as Users) would panic on the first request.
	for _, f := range [...]struct {
		name  string
		value any
	}{{"Keys", c.Keys}, {"Users", c.Users}, {"Revocations", c.Revocations}, {"TokenCache", c.TokenCache}, {"Machine", c.Machine}} {
		if f.value != nil && typednil.IsNil(f.value) {
			return nil, fmt.Errorf("%w: Config.%s is a nil %T", ErrInvalidConfig, f.name, f.value)
		}
	}
	s := &settings{
		keys:     c.Keys,
		leeway:   c.Leeway,
		pending:  c.AllowPending,
		maxBytes: c.MaxTokenBytes,
		now:      c.Now,
	}
	issuers := c.Issuers
	if c.Issuer != "" {
		issuers = append([]string{c.Issuer}, issuers...)
	}
	switch {
	case c.Keys == nil && len(issuers) == 0 && c.Machine != nil:
		// A verifier of machine credentials only: every session token is refused.
	case c.Keys == nil:
		return nil, fmt.Errorf("%w: Keys is required (or only Machine, for machine credentials alone)", ErrInvalidConfig)
	case len(issuers) == 0:
		return nil, fmt.Errorf("%w: Issuer is required", ErrInvalidConfig)
	}
	s.ctxKeys, _ = c.Keys.(jwks.ContextSource)
	s.keyCheck, _ = c.Keys.(jwks.KeyChecker)
	for _, iss := range issuers {
		if err := checkIssuer(iss); err != nil {
			return nil, err
		}
		if !slices.Contains(s.issuers, iss) {
			s.issuers = append(s.issuers, iss)
		}
	}
	for _, p := range c.AuthorizedParties {
		if err := checkOrigin(p); err != nil {
			return nil, err
		}
		if !slices.Contains(s.parties, p) {
			s.parties = append(s.parties, p)
		}
	}

	algs := c.Algorithms
	if len(algs) == 0 {
		algs = []string{jwks.RS256}
	}
	s.methods = map[string]*jwt.SigningMethodRSA{}
	s.boxedAlgs = map[string]any{}
	for _, a := range algs {
		var m *jwt.SigningMethodRSA
		switch a {
		case jwks.RS256:
			m = jwt.SigningMethodRS256
		case jwks.RS384:
			m = jwt.SigningMethodRS384
		case jwks.RS512:
			m = jwt.SigningMethodRS512
		default:
			return nil, fmt.Errorf("%w: algorithm %q not supported (RS256, RS384 or RS512)", ErrInvalidConfig, a)
		}
		s.methods[a] = m
		s.boxedAlgs[a] = a
	}

	switch {
	case c.Leeway < 0:
		return nil, fmt.Errorf("%w: negative Leeway %v", ErrInvalidConfig, c.Leeway)
	case c.Leeway > MaxLeeway:
		return nil, fmt.Errorf("%w: Leeway %v above %v", ErrInvalidConfig, c.Leeway, MaxLeeway)
	case c.ExactTime && c.Leeway != 0:
		return nil, fmt.Errorf("%w: both ExactTime and a Leeway", ErrInvalidConfig)
	case c.ExactTime:
		s.leeway = 0
	case c.Leeway == 0:
		s.leeway = DefaultLeeway
	}

	switch {
	case c.MaxTokenBytes < 0:
		return nil, fmt.Errorf("%w: negative MaxTokenBytes", ErrInvalidConfig)
	case c.MaxTokenBytes == 0:
		s.maxBytes = DefaultMaxTokenBytes
	case c.MaxTokenBytes < 512:
		return nil, fmt.Errorf("%w: MaxTokenBytes %d is too small for any session token", ErrInvalidConfig, c.MaxTokenBytes)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if c.Users != nil {
		uc, ok := c.Users.(*UserCache)
		if !ok {
			var err error
			if uc, err = NewUserCache(c.Users, UserCacheConfig{Now: c.Now}); err != nil {
				return nil, err
			}
		}
		s.users = uc
	}
	s.revoked = c.Revocations
	s.revokedBreaker = &breaker{now: s.now}
	s.machine = c.Machine
	switch {
	case c.DisableTokenCache && c.TokenCache != nil:
		return nil, fmt.Errorf("%w: both a TokenCache and DisableTokenCache", ErrInvalidConfig)
	case c.DisableTokenCache:
	case c.TokenCache != nil:
		s.cache = c.TokenCache
	default:
		mc, err := NewMemoryTokenCache(MemoryTokenCacheConfig{Now: c.Now})
		if err != nil {
			return nil, err
		}
		s.cache = mc
	}
	s.keyer = newTokenKeyer()
	return s, nil
}

// checkIssuer accepts an absolute https URL without a trailing slash, query or fragment
// (http on a loopback host, for development).
func checkIssuer(iss string) error {
	u, err := url.Parse(iss)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" ||
		strings.HasSuffix(iss, "/") || strings.ContainsAny(iss, " \t\r\n") || iss != strings.TrimSpace(iss) {
		return fmt.Errorf("%w: issuer %q is not an absolute URL without a trailing slash, query or fragment", ErrInvalidConfig, iss)
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname())) {
		return fmt.Errorf("%w: issuer %q must use https (http only on a loopback host)", ErrInvalidConfig, iss)
	}
	return nil
}

// checkOrigin accepts a serialized origin: scheme "://" host [":" port], lower case,
// nothing else, as a browser sends it in Origin and Clerk copies it into azp.
func checkOrigin(o string) error {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(o, "?") || strings.HasSuffix(o, "#") {
		return fmt.Errorf("%w: authorized party %q is not an origin (scheme://host[:port], no path or trailing slash)", ErrInvalidConfig, o)
	}
	if o != strings.ToLower(o) {
		return fmt.Errorf("%w: authorized party %q must be lower case, as browsers send origins", ErrInvalidConfig, o)
	}
	if p := u.Port(); (u.Scheme == "https" && p == "443") || (u.Scheme == "http" && p == "80") {
		return fmt.Errorf("%w: authorized party %q names the default port, which browsers omit", ErrInvalidConfig, o)
	}
	return nil
}

// isLoopback reports whether host is "localhost" or a loopback IP address (jwks.IsLoopback).
func isLoopback(host string) bool { return jwks.IsLoopback(host) }
