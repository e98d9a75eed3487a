package clerkauth_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/clerkauth/machine"
	"github.com/unioneyes/authkit/clerkauth/memstore"
	"github.com/unioneyes/authkit/jwks"
)

func TestNewVerifierRefusesBadConfig(t *testing.T) {
	keys, err := jwks.ParseJSON(newFixture(t, nil).iss.JWKS())
	require.NoError(t, err)
	ok := func(c clerkauth.Config) clerkauth.Config {
		if c.Keys == nil {
			c.Keys = keys
		}
		if c.Issuer == "" && c.Issuers == nil {
			c.Issuer = "https://clerk.example.com"
		}
		return c
	}
	for name, cfg := range map[string]clerkauth.Config{
		"no keys":                        {Issuer: "https://clerk.example.com"},
		"no issuer":                      {Keys: keys},
		"relative issuer":                ok(clerkauth.Config{Issuer: "clerk.example.com"}),
		"issuer with a trailing slash":   ok(clerkauth.Config{Issuer: "https://clerk.example.com/"}),
		"issuer with a query":            ok(clerkauth.Config{Issuer: "https://clerk.example.com?x=1"}),
		"issuer with a fragment":         ok(clerkauth.Config{Issuer: "https://clerk.example.com#x"}),
		"issuer over http":               ok(clerkauth.Config{Issuer: "http://clerk.example.com"}),
		"issuer with spaces":             ok(clerkauth.Config{Issuer: " https://clerk.example.com"}),
		"bad issuer in the list":         ok(clerkauth.Config{Issuers: []string{"https://a.example.com", "ftp://b"}}),
		"party with a path":              ok(clerkauth.Config{AuthorizedParties: []string{"https://app.example.com/"}}),
		"party without a scheme":         ok(clerkauth.Config{AuthorizedParties: []string{"app.example.com"}}),
		"party in upper case":            ok(clerkauth.Config{AuthorizedParties: []string{"https://App.example.com"}}),
		"party with the default port":    ok(clerkauth.Config{AuthorizedParties: []string{"https://app.example.com:443"}}),
		"party with a query":             ok(clerkauth.Config{AuthorizedParties: []string{"https://app.example.com?x"}}),
		"party of another scheme":        ok(clerkauth.Config{AuthorizedParties: []string{"ftp://app.example.com"}}),
		"unknown algorithm":              ok(clerkauth.Config{Algorithms: []string{"HS256"}}),
		"alg none":                       ok(clerkauth.Config{Algorithms: []string{"none"}}),
		"ES256":                          ok(clerkauth.Config{Algorithms: []string{"RS256", "ES256"}}),
		"negative leeway":                ok(clerkauth.Config{Leeway: -time.Second}),
		"leeway too large":               ok(clerkauth.Config{Leeway: time.Hour}),
		"leeway and exact time":          ok(clerkauth.Config{Leeway: time.Second, ExactTime: true}),
		"negative max token size":        ok(clerkauth.Config{MaxTokenBytes: -1}),
		"max token size below any token": ok(clerkauth.Config{MaxTokenBytes: 100}),
	} {
		t.Run(name, func(t *testing.T) {
			v, err := clerkauth.NewVerifier(cfg)
			require.Nil(t, v)
			require.ErrorIs(t, err, clerkauth.ErrInvalidConfig)
		})
	}

	for name, cfg := range map[string]clerkauth.Config{
		"minimal":                {},
		"http on loopback":       {Issuer: "http://127.0.0.1:8080"},
		"proxy path":             {Issuer: "https://example.com/__clerk"},
		"satellite list":         {Issuers: []string{"https://clerk.a.example", "https://clerk.b.example"}},
		"parties with a port":    {AuthorizedParties: []string{"http://localhost:3000", "https://app.example.com"}},
		"all RSA algorithms":     {Algorithms: []string{"RS256", "RS384", "RS512", "RS256"}},
		"exact time":             {ExactTime: true},
		"largest leeway":         {Leeway: clerkauth.MaxLeeway},
		"explicit max token len": {MaxTokenBytes: 4096},
	} {
		_, err := clerkauth.NewVerifier(ok(cfg))
		require.NoError(t, err, name)
	}
}

func TestConfigIsCopied(t *testing.T) {
	f := newFixture(t, nil)
	cfg := clerkauth.Config{Keys: f.keys, Issuers: []string{f.iss.Issuer()}, AuthorizedParties: []string{testOrigin}, Now: func() time.Time { return testNow }}
	v, err := clerkauth.NewVerifier(cfg)
	require.NoError(t, err)
	cfg.Issuers[0] = "https://clerk.evil.example"
	cfg.AuthorizedParties[0] = "https://evil.example"
	_, err = v.Verify(t.Context(), f.iss.Token().AuthorizedParty(testOrigin).Sign())
	require.NoError(t, err, "changing the caller's slices afterwards changes nothing")
}

func TestSeveralIssuers(t *testing.T) {
	f := newFixture(t, func(c *clerkauth.Config) { c.Issuers = []string{"https://clerk.satellite.example"} })
	_, err := f.verify(t, f.iss.Token().Sign())
	require.NoError(t, err)
	_, err = f.verify(t, f.iss.Token().IssuerClaim("https://clerk.satellite.example").Sign())
	require.NoError(t, err)
	_, err = f.verify(t, f.iss.Token().IssuerClaim("https://clerk.satellite.example.evil").Sign())
	require.ErrorIs(t, err, clerkauth.ErrIssuer)
}

func TestRS512WhenAllowed(t *testing.T) {
	f := newFixture(t, func(c *clerkauth.Config) { c.Algorithms = []string{"RS512"} })
	k := f.iss.SigningKey()
	keys, err := jwks.ParseJSON([]byte(`{"keys":[` + jwkNoAlg(k) + `]}`))
	require.NoError(t, err)
	v, err := clerkauth.NewVerifier(clerkauth.Config{Keys: keys, Issuer: f.iss.Issuer(), Algorithms: []string{"RS512"}, Now: func() time.Time { return testNow }})
	require.NoError(t, err)
	_, err = v.Verify(t.Context(), f.iss.Token().Algorithm("RS512").Sign())
	require.NoError(t, err)
	_, err = v.Verify(t.Context(), f.iss.Token().Sign())
	require.ErrorIs(t, err, clerkauth.ErrAlgorithm, "RS256 is not in this verifier's list")
}

// A typed nil behind a store, cache or verifier field (a nil *UserCache given as Users,
// say) is refused by NewVerifier, naming the field, instead of panicking per request.
func TestNewVerifierRefusesTypedNils(t *testing.T) {
	keys, err := jwks.ParseJSON(newFixture(t, nil).iss.JWKS())
	require.NoError(t, err)
	var (
		nilCache   *clerkauth.UserCache
		nilStore   *memstore.Store
		nilTokens  *clerkauth.MemoryTokenCache
		nilBackend *machine.BackendAPI
		nilKeys    *jwks.Static
	)
	for field, mod := range map[string]func(*clerkauth.Config){
		"Users":       func(c *clerkauth.Config) { c.Users = nilCache },
		"Users store": func(c *clerkauth.Config) { c.Users = nilStore },
		"Revocations": func(c *clerkauth.Config) { c.Revocations = nilStore },
		"TokenCache":  func(c *clerkauth.Config) { c.TokenCache = nilTokens },
		"Machine":     func(c *clerkauth.Config) { c.Machine = nilBackend },
		"Keys":        func(c *clerkauth.Config) { c.Keys = nilKeys },
	} {
		t.Run(field, func(t *testing.T) {
			cfg := clerkauth.Config{Keys: keys, Issuer: "https://clerk.example.com"}
			mod(&cfg)
			v, err := clerkauth.NewVerifier(cfg)
			require.Nil(t, v)
			require.ErrorIs(t, err, clerkauth.ErrInvalidConfig)
			require.ErrorContains(t, err, "Config."+strings.Fields(field)[0])
		})
	}

	_, err = clerkauth.NewUserCache(nilStore, clerkauth.UserCacheConfig{})
	require.ErrorIs(t, err, clerkauth.ErrInvalidConfig)
	require.ErrorContains(t, err, "nil *memstore.Store")
}
