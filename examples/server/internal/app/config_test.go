package app

import (
	"bytes"
	"encoding/base64"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/clerkauth/machine"
)

// env is a fake environment for LoadConfig.
type env map[string]string

// lookup is os.LookupEnv on the fake environment.
func (e env) lookup(name string) (string, bool) {
	v, ok := e[name]
	return v, ok
}

// publishableKey encodes a Frontend API host as Clerk does.
func publishableKey(host string) string {
	return "pk_test_" + base64.StdEncoding.EncodeToString([]byte(host+"$"))
}

func TestLoadConfig(t *testing.T) {
	pem := clerkauthtest.PublicKeyPEM(&clerkauthtest.NewKey().Private.PublicKey)
	pk := publishableKey("clerk.example.com")
	whsec := clerkauthtest.NewWebhookSecret()
	whsec2 := clerkauthtest.NewWebhookSecret()

	tests := []struct {
		name  string
		env   env
		check func(t *testing.T, c Config)
	}{
		{"no variables: dev mode with every default", env{}, func(t *testing.T, c Config) {
			assert.True(t, c.DevMode())
			assert.Equal(t, KeysDev, c.KeySource)
			assert.Equal(t, "127.0.0.1:8000", c.Addr, "dev mode listens on loopback by default")
			assert.Equal(t, "sqlite:authkit.db", c.DatabaseURL)
			assert.Equal(t, "authkit:", c.RedisPrefix)
			assert.Equal(t, machine.DefaultBackendAPIURL, c.APIURL)
			assert.Empty(t, c.Issuer)
			assert.Empty(t, c.WebhookSecrets)
			assert.Empty(t, c.Warnings, "no authorized-parties warning in dev mode")
		}},
		{"blank values count as unset", env{EnvJWTKey: "  ", EnvAddr: " ", EnvDatabaseURL: "\t"}, func(t *testing.T, c Config) {
			assert.True(t, c.DevMode())
			assert.Equal(t, "sqlite:authkit.db", c.DatabaseURL)
		}},
		{"dev mode keeps an explicit loopback ADDR", env{EnvAddr: "127.0.0.1:9000"}, func(t *testing.T, c Config) {
			assert.True(t, c.DevMode())
			assert.Equal(t, "127.0.0.1:9000", c.Addr)
		}},
		{"dev mode with a local frontend and a SQLite file", env{
			EnvAddr: "localhost:9000", EnvCORSAllowedOrigins: "http://localhost:3000",
			EnvAuthorizedParties: "http://127.0.0.1:3000", EnvDatabaseURL: "sqlite:dev.db",
		}, func(t *testing.T, c Config) {
			assert.True(t, c.DevMode())
			assert.Equal(t, []string{"http://localhost:3000"}, c.CORSAllowedOrigins)
		}},
		{"PEM key with an issuer", env{EnvJWTKey: pem, EnvIssuer: "https://clerk.example.com"}, func(t *testing.T, c Config) {
			assert.Equal(t, KeysPEM, c.KeySource)
			assert.Equal(t, ":8000", c.Addr)
			assert.Equal(t, "https://clerk.example.com", c.Issuer)
			assert.Empty(t, c.SecretKey)
		}},
		{"PEM key with escaped line breaks", env{EnvJWTKey: strings.ReplaceAll(pem, "\n", `\n`), EnvIssuer: "https://clerk.example.com"}, func(t *testing.T, c Config) {
			assert.Equal(t, KeysPEM, c.KeySource)
		}},
		{"every key source set: the PEM key wins", env{
			EnvJWTKey: pem, EnvJWKSURL: "https://clerk.example.com/.well-known/jwks.json",
			EnvSecretKey: "sk_test_abc", EnvPublishableKey: pk, EnvAuthorizedParties: "https://app.example.com",
		}, func(t *testing.T, c Config) {
			assert.Equal(t, KeysPEM, c.KeySource)
			assert.Equal(t, "sk_test_abc", c.SecretKey, "the secret key still verifies machine tokens")
			assert.Equal(t, "https://clerk.example.com", c.Issuer, "derived from the publishable key")
			assert.Equal(t, []string{EnvJWKSURL + " is set but " + EnvJWTKey + " takes precedence: ignored"}, c.Warnings)
		}},
		{"JWKS URL before the secret key", env{EnvJWKSURL: "http://127.0.0.1:1234/jwks", EnvSecretKey: "sk_live_abc", EnvIssuer: "http://127.0.0.1:1234"}, func(t *testing.T, c Config) {
			assert.Equal(t, KeysJWKSURL, c.KeySource)
			assert.Equal(t, "sk_live_abc", c.SecretKey)
		}},
		{"secret key before the publishable key, issuer derived", env{EnvSecretKey: "sk_test_abc", EnvPublishableKey: pk, EnvAPIURL: "https://api.clerk.test/v1"}, func(t *testing.T, c Config) {
			assert.Equal(t, KeysBackendAPI, c.KeySource)
			assert.Equal(t, "https://clerk.example.com", c.Issuer)
			assert.Equal(t, "https://api.clerk.test/v1", c.APIURL)
		}},
		{"publishable key alone", env{EnvPublishableKey: pk}, func(t *testing.T, c Config) {
			assert.Equal(t, KeysPublishableKey, c.KeySource)
			assert.Equal(t, "https://clerk.example.com", c.Issuer)
			assert.False(t, c.DevMode())
			// No authorized parties outside dev mode: one warning, naming the risk.
			require.Len(t, c.Warnings, 1)
			assert.Contains(t, c.Warnings[0], EnvAuthorizedParties+" is not set: the azp claim is not checked")
			assert.Contains(t, c.Warnings[0], "another of your subdomains")
			assert.Contains(t, c.Warnings[0], "leaked __session cookie")
		}},
		{"authorized parties: no warning", env{EnvPublishableKey: pk, EnvAuthorizedParties: "https://app.example.com"}, func(t *testing.T, c Config) {
			assert.Equal(t, []string{"https://app.example.com"}, c.AuthorizedParties)
			assert.Empty(t, c.Warnings)
		}},
		{"CLERK_ISSUER overrides the publishable key's", env{EnvPublishableKey: pk, EnvIssuer: "https://auth.example.com", EnvAuthorizedParties: "https://app.example.com"}, func(t *testing.T, c Config) {
			assert.Equal(t, "https://auth.example.com", c.Issuer)
			require.Len(t, c.Warnings, 1)
			assert.Contains(t, c.Warnings[0], "differs from the publishable key's issuer")
		}},
		{"webhook secret", env{EnvPublishableKey: pk, EnvWebhookSecret: whsec}, func(t *testing.T, c Config) {
			assert.Equal(t, []string{whsec}, c.WebhookSecrets)
		}},
		{"webhook secret under its alias", env{EnvPublishableKey: pk, EnvWebhookSigningSecret: whsec}, func(t *testing.T, c Config) {
			assert.Equal(t, []string{whsec}, c.WebhookSecrets)
		}},
		{"webhook secret under both names, same value", env{EnvPublishableKey: pk, EnvWebhookSecret: whsec, EnvWebhookSigningSecret: whsec}, func(t *testing.T, c Config) {
			assert.Equal(t, []string{whsec}, c.WebhookSecrets)
		}},
		{"two webhook secrets during a rotation", env{EnvPublishableKey: pk, EnvWebhookSecret: whsec + ", " + whsec2}, func(t *testing.T, c Config) {
			assert.Equal(t, []string{whsec, whsec2}, c.WebhookSecrets)
		}},
		{"lists", env{
			EnvPublishableKey: pk, EnvAuthorizedParties: "https://app.example.com, http://localhost:3000,",
			EnvTrustedProxies: "10.0.0.0/8, 192.0.2.7", EnvCORSAllowedOrigins: "https://app.example.com",
		}, func(t *testing.T, c Config) {
			assert.Equal(t, []string{"https://app.example.com", "http://localhost:3000"}, c.AuthorizedParties)
			assert.Equal(t, []string{"10.0.0.0/8", "192.0.2.7"}, c.TrustedProxies)
			assert.Equal(t, []string{"https://app.example.com"}, c.CORSAllowedOrigins)
		}},
		{"databases", env{EnvPublishableKey: pk, EnvDatabaseURL: "postgres://app:pw@db.internal:5432/app?sslmode=verify-full"}, func(t *testing.T, c Config) {
			assert.Equal(t, "postgres://app:pw@db.internal:5432/app?sslmode=verify-full", c.DatabaseURL)
		}},
		{"redis", env{EnvPublishableKey: pk, EnvRedisURL: "rediss://:pw@cache.internal:6380/2", EnvRedisPrefix: "myapp:auth:"}, func(t *testing.T, c Config) {
			assert.Equal(t, "rediss://:pw@cache.internal:6380/2", c.RedisURL)
			assert.Equal(t, "myapp:auth:", c.RedisPrefix)
		}},
		{"variables that do nothing are reported", env{EnvAPIURL: "https://api.clerk.com/v1", EnvRedisPrefix: "x:"}, func(t *testing.T, c Config) {
			assert.Equal(t, []string{
				EnvAPIURL + " is set but " + EnvSecretKey + " is not: ignored",
				EnvRedisPrefix + " is set but " + EnvRedisURL + " is not: ignored",
			}, c.Warnings)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := LoadConfig(tc.env.lookup)
			require.NoError(t, err)
			tc.check(t, c)
		})
	}
}

func TestLoadConfigErrors(t *testing.T) {
	pem := clerkauthtest.PublicKeyPEM(&clerkauthtest.NewKey().Private.PublicKey)
	pk := publishableKey("clerk.example.com")
	const secret = "sk_live_SECRET"
	whA, whB := clerkauthtest.NewWebhookSecret(), clerkauthtest.NewWebhookSecret()
	iss := env{EnvPublishableKey: pk}
	with := func(base env, k, v string) env {
		e := env{k: v}
		for bk, bv := range base {
			if _, ok := e[bk]; !ok {
				e[bk] = bv
			}
		}
		return e
	}

	tests := []struct {
		name   string
		env    env
		want   string // in the message
		hidden string // never in the message
	}{
		{"ADDR without a port", with(iss, EnvAddr, "localhost"), "ADDR: \"localhost\" is not host:port", ""},
		{"ADDR with a bad port", with(iss, EnvAddr, ":99999"), "ADDR: \":99999\" has no valid port", ""},
		{"PEM that is no key", env{EnvJWTKey: "-----BEGIN PUBLIC KEY-----\nSECRETISH\n-----END PUBLIC KEY-----", EnvIssuer: "https://clerk.example.com"}, "CLERK_JWT_KEY: not an RSA public key", "SECRETISH"},
		{"a private key as PEM", env{EnvJWTKey: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", EnvIssuer: "https://clerk.example.com"}, "a private key", "AAAA"},
		{"PEM without an issuer", env{EnvJWTKey: pem}, "CLERK_ISSUER: required with CLERK_JWT_KEY", ""},
		{"JWKS URL over http", with(iss, EnvJWKSURL, "http://clerk.example.com/jwks"), "CLERK_JWKS_URL: \"http://clerk.example.com/jwks\" must use https", ""},
		{"JWKS URL with credentials", with(iss, EnvJWKSURL, "https://user:hunter2@clerk.example.com/jwks"), "CLERK_JWKS_URL: must have no user info", "hunter2"},
		{"secret key of another kind", env{EnvSecretKey: "pk_test_" + secret, EnvIssuer: "https://clerk.example.com"}, "CLERK_SECRET_KEY: not a Clerk secret key", secret},
		{"secret key with a space", env{EnvSecretKey: secret + " x", EnvIssuer: "https://clerk.example.com"}, "CLERK_SECRET_KEY: not a Clerk secret key", secret},
		{"Backend API over http", env{EnvSecretKey: secret, EnvAPIURL: "http://api.clerk.com/v1", EnvIssuer: "https://clerk.example.com"}, "CLERK_API_URL:", secret},
		{"not a publishable key", env{EnvPublishableKey: "pk_test_%%%"}, "CLERK_PUBLISHABLE_KEY: jwks: invalid publishable key", ""},
		{"issuer with a trailing slash", with(iss, EnvIssuer, "https://clerk.example.com/"), "CLERK_ISSUER: \"https://clerk.example.com/\" must not end with a slash", ""},
		{"issuer over http", with(iss, EnvIssuer, "http://clerk.example.com"), "CLERK_ISSUER: \"http://clerk.example.com\" must use https", ""},
		{"issuer without a key source", env{EnvIssuer: "https://clerk.example.com"}, "CLERK_ISSUER: set, but no key source is", ""},
		// A production deployment that lost its key variable never falls back to dev mode.
		{"dev mode beside a webhook secret", env{EnvWebhookSecret: whA}, "CLERK_WEBHOOK_SECRET: set, but no key source is", whA},
		{"dev mode beside a webhook alias secret", env{EnvWebhookSigningSecret: whA}, "CLERK_WEBHOOK_SIGNING_SECRET: set, but no key source is", whA},
		{"dev mode beside Redis", env{EnvRedisURL: "redis://:hunter2@cache:6379/0"}, "REDIS_URL: set, but no key source is", "hunter2"},
		{"dev mode behind proxies", env{EnvTrustedProxies: "10.0.0.0/8"}, "TRUSTED_PROXIES: set, but no key source is", ""},
		{"dev mode on PostgreSQL", env{EnvDatabaseURL: "postgres://app:hunter2@db/app"}, "DATABASE_URL: is not SQLite, but no key source is set", "hunter2"},
		{"dev mode on every interface", env{EnvAddr: ":8000"}, "ADDR: \":8000\" is not a loopback address", ""},
		{"dev mode on a look-alike of localhost", env{EnvAddr: "localhoſt:8000"}, "ADDR: \"localhoſt:8000\" is not a loopback address", ""},
		{"JWKS URL over http on an absolute name", with(iss, EnvJWKSURL, "http://localhost.:1234/jwks"), "CLERK_JWKS_URL: \"http://localhost.:1234/jwks\" must use https", ""},
		{"dev mode for a remote frontend", env{EnvCORSAllowedOrigins: "https://app.example.com"}, "CORS_ALLOWED_ORIGINS: \"https://app.example.com\" is not a local origin", ""},
		{"dev mode with a remote authorized party", env{EnvAuthorizedParties: "https://app.example.com"}, "CLERK_AUTHORIZED_PARTIES: \"https://app.example.com\" is not a local origin", ""},
		{"authorized party with a path", with(iss, EnvAuthorizedParties, "https://app.example.com/"), "CLERK_AUTHORIZED_PARTIES: \"https://app.example.com/\" is not an origin", ""},
		{"authorized party in upper case", with(iss, EnvAuthorizedParties, "https://App.example.com"), "must be lower case", ""},
		{"webhook secrets that differ", with(with(iss, EnvWebhookSecret, whA), EnvWebhookSigningSecret, whB),
			"CLERK_WEBHOOK_SECRET: and CLERK_WEBHOOK_SIGNING_SECRET are both set, to different values", whA},
		{"webhook secret too short", with(iss, EnvWebhookSecret, "whsec_c2hvcnRzZWNyZXQ="), "CLERK_WEBHOOK_SECRET: webhook:", "c2hvcnRzZWNyZXQ"},
		{"webhook alias secret not base64", with(iss, EnvWebhookSigningSecret, "whsec_!!!TOPSECRET!!!"), "CLERK_WEBHOOK_SIGNING_SECRET: webhook:", "TOPSECRET"},
		{"unknown database scheme", with(iss, EnvDatabaseURL, "mysql://app:hunter2@db/app"), "DATABASE_URL: unknown scheme \"mysql\"", "hunter2"},
		{"database URL without a scheme", with(iss, EnvDatabaseURL, "app:hunter2@db/app"), "DATABASE_URL: unknown scheme \"(none)\"", "hunter2"},
		{"sqlite without a path", with(iss, EnvDatabaseURL, "sqlite:"), "DATABASE_URL: \"sqlite:\" needs a path", ""},
		{"postgres URL that does not parse", with(iss, EnvDatabaseURL, "postgres://app:hunter2@db:port/app"), "DATABASE_URL: not a valid postgres:// URL", "hunter2"},
		{"not a redis URL", with(iss, EnvRedisURL, "http://:hunter2@cache"), "REDIS_URL: not a redis://", "hunter2"},
		{"redis URL that does not parse", with(iss, EnvRedisURL, "redis://:hunter2@cache:port"), "REDIS_URL: not a redis://", "hunter2"},
		{"redis prefix with a space", with(with(iss, EnvRedisURL, "redis://cache"), EnvRedisPrefix, "my app:"), "REDIS_PREFIX: must be at most 64 printable", ""},
		{"bad CIDR", with(iss, EnvTrustedProxies, "10.0.0.0/8, 10.0.0.0/33"), "TRUSTED_PROXIES: audit: invalid trusted proxy range \"10.0.0.0/33\"", ""},
		{"not an address", with(iss, EnvTrustedProxies, "proxy.internal"), "TRUSTED_PROXIES:", ""},
		{"CORS wildcard", with(iss, EnvCORSAllowedOrigins, "*"), "CORS_ALLOWED_ORIGINS: \"*\" is refused: credentials are allowed", ""},
		{"CORS origin with a path", with(iss, EnvCORSAllowedOrigins, "https://app.example.com/login"), "CORS_ALLOWED_ORIGINS: \"https://app.example.com/login\" is not an origin", ""},
		{"CORS origin with the default port", with(iss, EnvCORSAllowedOrigins, "https://app.example.com:443"), "names the default port", ""},
		{"CORS null origin", with(iss, EnvCORSAllowedOrigins, "null"), "CORS_ALLOWED_ORIGINS: \"null\" is not an origin", ""},
		// A list variable that is set but lists nothing: never "none" by accident (an
		// empty CLERK_AUTHORIZED_PARTIES turns the azp check off).
		{"authorized parties of empty items", with(iss, EnvAuthorizedParties, ","), "CLERK_AUTHORIZED_PARTIES: set, but every comma-separated item is empty", ""},
		{"authorized parties of blank items", with(iss, EnvAuthorizedParties, " , ,\t,"), "CLERK_AUTHORIZED_PARTIES: set, but every comma-separated item is empty", ""},
		{"trusted proxies of empty items", with(iss, EnvTrustedProxies, ",,"), "TRUSTED_PROXIES: set, but every comma-separated item is empty", ""},
		{"CORS origins of empty items", with(iss, EnvCORSAllowedOrigins, ","), "CORS_ALLOWED_ORIGINS: set, but every comma-separated item is empty", ""},
		{"webhook secret of empty items", with(iss, EnvWebhookSecret, ", ,"), "CLERK_WEBHOOK_SECRET: set, but every comma-separated item is empty", ""},
		{"webhook alias secret of empty items", with(iss, EnvWebhookSigningSecret, ","), "CLERK_WEBHOOK_SIGNING_SECRET: set, but every comma-separated item is empty", ""},
		{"dev mode with authorized parties of empty items", env{EnvAuthorizedParties: ","}, "CLERK_AUTHORIZED_PARTIES: set, but every comma-separated item is empty", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := LoadConfig(tc.env.lookup)
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrInvalidConfig))
			assert.Contains(t, err.Error(), tc.want)
			if tc.hidden != "" {
				assert.NotContains(t, err.Error(), tc.hidden, "a secret in the error")
			}
			assert.Zero(t, c.KeySource)
			assert.Empty(t, c.Addr, "no partial configuration on error")
		})
	}
}

// Every problem is reported at once, one line per variable.
func TestLoadConfigReportsEveryProblem(t *testing.T) {
	_, err := LoadConfig(env{
		EnvAddr:               "nope",
		EnvSecretKey:          "sk_live_bad key",
		EnvDatabaseURL:        "mongodb://x",
		EnvTrustedProxies:     "300.0.0.1",
		EnvCORSAllowedOrigins: "*",
	}.lookup)
	require.ErrorIs(t, err, ErrInvalidConfig)
	lines := strings.Split(err.Error(), "\n")
	assert.Equal(t, "invalid configuration:", lines[0])
	for _, v := range []string{EnvAddr, EnvSecretKey, EnvIssuer, EnvDatabaseURL, EnvTrustedProxies, EnvCORSAllowedOrigins} {
		assert.Contains(t, err.Error(), "\n  "+v+": ", v)
	}
	assert.NotContains(t, err.Error(), "bad key")
}

// Logging the configuration never prints a secret.
func TestConfigLogValue(t *testing.T) {
	whsec := clerkauthtest.NewWebhookSecret()
	c, err := LoadConfig(env{
		EnvSecretKey:      "sk_live_TOPSECRET",
		EnvPublishableKey: publishableKey("clerk.example.com"),
		EnvWebhookSecret:  whsec,
		EnvDatabaseURL:    "postgres://app:hunter2@db.internal/app?password=alsosecret",
		EnvRedisURL:       "redis://default:redispw@cache.internal:6379/0",
	}.lookup)
	require.NoError(t, err)
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("configuration", "config", c)
	out := buf.String()
	for _, secret := range []string{"TOPSECRET", whsec, "hunter2", "alsosecret", "redispw"} {
		assert.NotContains(t, out, secret)
	}
	for _, shown := range []string{`"keys":"CLERK_SECRET_KEY"`, `"issuer":"https://clerk.example.com"`, `"machine_tokens":true`,
		`"webhooks":"1 signing secret(s)"`, `"database":"postgres://app@db.internal/app"`, `"redis":"redis://default@cache.internal:6379/0"`} {
		assert.Contains(t, out, shown)
	}
}

func TestKeySourceString(t *testing.T) {
	for k, want := range map[KeySource]string{
		KeysDev: "dev mode (local fake Clerk)", KeysPEM: EnvJWTKey, KeysJWKSURL: EnvJWKSURL,
		KeysBackendAPI: EnvSecretKey, KeysPublishableKey: EnvPublishableKey,
	} {
		assert.Equal(t, want, k.String())
	}
}

// FuzzLoadConfig: whatever the values, LoadConfig does not panic, and an error never
// quotes the secret key, the webhook secret or a database password.
func FuzzLoadConfig(f *testing.F) {
	f.Add(":8000", "sk_live_abc", "whsec_abc", "postgres://u:p@h/db", "10.0.0.0/8", "https://a.example")
	f.Add("", "", "", "", "", "")
	f.Add("[::1]:0", "sk_ x", "whsec_!!", "sqlite:", "::ffff:10.0.0.1", "*")
	f.Add("host", "sk_test_\x00", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "sqlite:///tmp/a?b", "1.2.3.4/99", "HTTPS://A")
	f.Add(":http", "SECRET", "secret", "mysql://a:b@c", "fe80::1%eth0", "null")
	f.Fuzz(func(t *testing.T, addr, secretKey, whsec, dbURL, proxies, origins string) {
		c, err := LoadConfig(env{
			EnvAddr: addr, EnvSecretKey: "sk_" + secretKey, EnvIssuer: "https://clerk.example.com",
			EnvWebhookSecret: whsec, EnvDatabaseURL: dbURL, EnvTrustedProxies: proxies, EnvCORSAllowedOrigins: origins,
		}.lookup)
		if err == nil {
			if c.Addr == "" || c.DatabaseURL == "" {
				t.Fatalf("accepted without an address or database: %+v", c)
			}
			return
		}
		msg := err.Error()
		for _, secret := range []string{"sk_" + strings.TrimSpace(secretKey), strings.TrimSpace(whsec)} {
			if len(strings.TrimSpace(secret)) >= 8 && strings.Contains(msg, secret) {
				t.Fatalf("a secret in the error: %q", msg)
			}
		}
	})
}
