package clerkauthtest_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/jwks"
)

func decodeSegment(t *testing.T, token string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	b, err := base64.RawURLEncoding.DecodeString(parts[i])
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

func TestTokenDefaultsLikeClerk(t *testing.T) {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	now := time.Unix(1_800_000_000, 0)
	iss.SetClock(func() time.Time { return now })
	tok := iss.Token().Sign()

	h := decodeSegment(t, tok, 0)
	require.Equal(t, map[string]any{"alg": "RS256", "kid": iss.KeyID(), "typ": "JWT", "cat": clerkauthtest.CategorySession}, h)
	c := decodeSegment(t, tok, 1)
	require.Equal(t, iss.Issuer(), c["iss"])
	require.True(t, strings.HasPrefix(c["sub"].(string), "user_"))
	require.True(t, strings.HasPrefix(c["sid"].(string), "sess_"))
	require.EqualValues(t, now.Unix(), c["iat"])
	require.EqualValues(t, now.Unix()-10, c["nbf"])
	require.EqualValues(t, now.Unix()+60, c["exp"])
	require.EqualValues(t, 2, c["v"])
	require.NotEmpty(t, c["jti"])
	require.Equal(t, []any{0.0, -1.0}, c["fva"])
	for _, absent := range []string{"azp", "o", "fea", "sts", "act", "org_id", "pla"} {
		require.NotContains(t, c, absent)
	}

	// It verifies against the served key set, with golang-jwt's strictest options.
	keys, err := jwks.ParseJSON(iss.JWKS())
	require.NoError(t, err)
	_, err = jwt.Parse(tok, keys.Keyfunc, jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(iss.Issuer()),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithStrictDecoding(),
		jwt.WithTimeFunc(func() time.Time { return now }))
	require.NoError(t, err)
}

func TestEncodePermissionsClerkDocumentedExample(t *testing.T) {
	// Clerk's documented example: fea "o:repositories,o:projects", per "read,manage",
	// fpm "1,2" grants org:repositories:read and org:projects:manage.
	fea, per, fpm := clerkauthtest.EncodePermissions([]string{"org:repositories:read", "org:projects:manage"})
	require.Equal(t, []string{"o:repositories", "o:projects"}, fea)
	require.Equal(t, []string{"read", "manage"}, per)
	require.Equal(t, "1,2", fpm)

	fea, per, fpm = clerkauthtest.EncodePermissions([]string{"org:posts:read", "org:posts:write", "org:billing:read", "org:posts:delete"})
	require.Equal(t, []string{"o:posts", "o:billing"}, fea)
	require.Equal(t, []string{"read", "write", "delete"}, per)
	require.Equal(t, "7,1", fpm)

	require.Panics(t, func() { clerkauthtest.EncodePermissions([]string{"posts:read"}) })
}

func TestTokenOrgClaims(t *testing.T) {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	perms := []string{"org:posts:read", "org:posts:write"}

	v2 := decodeSegment(t, iss.Token().Org("org_1", "acme", "org:admin", perms...).Features("u:beta").Plan("o:pro").Sign(), 1)
	require.Equal(t, map[string]any{"id": "org_1", "slg": "acme", "rol": "admin", "per": "read,write", "fpm": "3"}, v2["o"])
	require.Equal(t, "o:posts,u:beta", v2["fea"])
	require.Equal(t, "o:pro", v2["pla"])

	v1 := decodeSegment(t, iss.Token().V1().Org("org_1", "acme", "admin", perms...).Sign(), 1)
	require.Equal(t, "org_1", v1["org_id"])
	require.Equal(t, "acme", v1["org_slug"])
	require.Equal(t, "org:admin", v1["org_role"])
	require.Equal(t, []any{"org:posts:read", "org:posts:write"}, v1["org_permissions"])
	require.NotContains(t, v1, "v")
	require.NotContains(t, v1, "o")
}

func TestTokenPresetsAndBrokenVariants(t *testing.T) {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	c := decodeSegment(t, iss.Token().User("user_1").Session("sess_1").AuthorizedParty("https://app.example.com").
		Pending().Actor("user_admin", "sess_admin").FactorAge(3, 7).Claim("email", "a@example.com").
		Without("jti", "fva").Sign(), 1)
	require.Equal(t, "user_1", c["sub"])
	require.Equal(t, "sess_1", c["sid"])
	require.Equal(t, "https://app.example.com", c["azp"])
	require.Equal(t, "pending", c["sts"])
	require.Equal(t, map[string]any{"iss": iss.Issuer(), "sub": "user_admin", "sid": "sess_admin"}, c["act"])
	require.Equal(t, "a@example.com", c["email"])
	require.NotContains(t, c, "jti")
	require.NotContains(t, c, "fva")

	h := decodeSegment(t, iss.Token().Category(clerkauthtest.CategoryTemplate).Header("crit", []string{"exp"}).Sign(), 0)
	require.Equal(t, clerkauthtest.CategoryTemplate, h["cat"])
	require.Equal(t, []any{"exp"}, h["crit"])
	require.NotContains(t, decodeSegment(t, iss.Token().Category("").Sign(), 0), "cat")

	unsigned := iss.Token().Unsigned()
	require.True(t, strings.HasSuffix(unsigned, "."))
	require.Equal(t, "none", decodeSegment(t, unsigned+"x", 0)["alg"])
	require.Equal(t, "HS256", decodeSegment(t, iss.Token().SignHS256([]byte("k")), 0)["alg"])

	keys, err := jwks.ParseJSON(iss.JWKS())
	require.NoError(t, err)
	attacker := clerkauthtest.NewKey()
	_, err = jwt.Parse(iss.Token().SignWith(attacker.Private).Sign(), keys.Keyfunc, jwt.WithValidMethods([]string{"RS256"}))
	require.ErrorIs(t, err, jwt.ErrTokenSignatureInvalid)

	for _, alg := range []string{"RS384", "RS512"} {
		raw := iss.Token().Algorithm(alg).Sign()
		_, err = jwt.Parse(raw, func(*jwt.Token) (any, error) { return &iss.SigningKey().Private.PublicKey, nil },
			jwt.WithValidMethods([]string{alg}))
		require.NoError(t, err, alg)
	}

	raw := iss.SignRaw([]byte(`{"alg":"RS256","kid":"`+iss.KeyID()+`"}`), []byte(`{"iss":"a","iss":"b"}`))
	require.Equal(t, `{"iss":"a","iss":"b"}`, string(mustDecode(t, strings.Split(raw, ".")[1])))
	_, err = jwt.Parse(raw, keys.Keyfunc, jwt.WithValidMethods([]string{"RS256"}))
	require.NoError(t, err, "raw bytes are signed as given")
}

func mustDecode(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	require.NoError(t, err)
	return b
}

func get(t *testing.T, url, bearer string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestIssuerServesKeys(t *testing.T) {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	first := iss.KeyID()
	require.True(t, strings.HasPrefix(first, "ins_"))

	status, body := get(t, iss.JWKSURL(), "")
	require.Equal(t, 200, status)
	require.Equal(t, string(iss.JWKS()), body)
	require.Contains(t, body, first)

	status, _ = get(t, iss.BackendJWKSURL(), "")
	require.Equal(t, 401, status)
	status, _ = get(t, iss.BackendJWKSURL(), iss.SecretKey())
	require.Equal(t, 200, status)
	require.EqualValues(t, 3, iss.Hits())

	second := iss.Rotate()
	require.Equal(t, second, iss.KeyID())
	extra := iss.AddKey()
	keys, err := jwks.ParseJSON(iss.JWKS())
	require.NoError(t, err)
	require.Equal(t, []string{first, second, extra.ID}, keys.KeyIDs())
	iss.Retire(first)
	keys, err = jwks.ParseJSON(iss.JWKS())
	require.NoError(t, err)
	require.Equal(t, []string{second, extra.ID}, keys.KeyIDs())

	iss.SetDown(true)
	status, _ = get(t, iss.JWKSURL(), "")
	require.Equal(t, 500, status)
	iss.SetDown(false)
	iss.SetRawResponse(503, []byte("nope"))
	status, body = get(t, iss.JWKSURL(), "")
	require.Equal(t, 503, status)
	require.Equal(t, "nope", body)
	iss.SetRawResponse(0, nil)
	status, _ = get(t, iss.JWKSURL(), "")
	require.Equal(t, 200, status)
	iss.ResetHits()
	require.Zero(t, iss.Hits())

	pemKeys, err := jwks.ParsePEM(iss.PEM())
	require.NoError(t, err)
	_, err = jwt.Parse(iss.Token().Sign(), pemKeys.Keyfunc, jwt.WithValidMethods([]string{"RS256"}))
	require.NoError(t, err)
}

func TestWebhookSignerMatchesPublishedVector(t *testing.T) {
	// The canonical Standard Webhooks / Svix vector.
	s := clerkauthtest.NewWebhookSigner("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	h := s.Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	require.Equal(t, "msg_p5jXN8AQM9LWM0D4loKWxJek", h.Get("svix-id"))
	require.Equal(t, "1614265330", h.Get("svix-timestamp"))
	require.Equal(t, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", h.Get("svix-signature"))

	s.Now = func() time.Time { return time.Unix(1614265330, 0) }
	h = s.Headers([]byte(`{"test": 2432232314}`))
	require.True(t, strings.HasPrefix(h.Get("svix-id"), "msg_"))
	require.Equal(t, "1614265330", h.Get("svix-timestamp"))

	r := s.Request("/webhooks/clerk", "msg_retry", []byte(`{}`))
	require.Equal(t, http.MethodPost, r.Method)
	require.Equal(t, "msg_retry", r.Header.Get("svix-id"))
	require.Equal(t, "application/json", r.Header.Get("Content-Type"))

	secret := clerkauthtest.NewWebhookSecret()
	require.True(t, strings.HasPrefix(secret, "whsec_"))
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	require.NoError(t, err)
	require.Len(t, key, 32)
	require.NotEqual(t, secret, clerkauthtest.NewWebhookSecret())

	require.Panics(t, func() { clerkauthtest.NewWebhookSigner("nope") })
	require.Panics(t, func() { clerkauthtest.NewWebhookSigner("whsec_!!!") })
}

func TestNewID(t *testing.T) {
	id := clerkauthtest.NewID("user_")
	require.Len(t, id, len("user_")+27)
	require.NotEqual(t, id, clerkauthtest.NewID("user_"))
	for _, c := range strings.TrimPrefix(id, "user_") {
		require.True(t, c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z')
	}
}
