package clerkauth_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/jwks"
)

// attack is one row of the attack catalogue (reference/jwt-security.md §5.1): a token, the
// verifier configuration it meets, and the sentinel it must fail with (nil: it must pass).
type attack struct {
	name  string
	cfg   func(*clerkauth.Config)
	token func(f *fixture) string
	want  error
}

func attackCatalogue(t *testing.T) []attack {
	attacker := clerkauthtest.NewKey()
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	bigDots := strings.Repeat(".", 1<<20)
	exactTime := func(c *clerkauth.Config) { c.ExactTime = true }
	parties := func(c *clerkauth.Config) { c.AuthorizedParties = []string{testOrigin} }
	allowRS512 := func(c *clerkauth.Config) { c.Algorithms = []string{"RS256", "RS512"} }

	return []attack{
		// #1-#5 algorithm confusion
		{name: "1 alg none, empty signature", token: func(f *fixture) string { return f.iss.Token().Unsigned() }, want: clerkauth.ErrTokenMalformed},
		{name: "1 alg none, kid-less, empty signature", token: func(f *fixture) string { return f.iss.Token().WithoutHeader("kid").Unsigned() }, want: clerkauth.ErrTokenMalformed},
		{name: "1 alg none with a signature", token: func(f *fixture) string { return f.iss.Token().Unsigned() + "c2ln" }, want: clerkauth.ErrAlgorithm},
		{name: "2 alg None", token: func(f *fixture) string { return f.iss.Token().Algorithm("None").Sign() }, want: clerkauth.ErrAlgorithm},
		{name: "2 alg NONE", token: func(f *fixture) string { return f.iss.Token().Algorithm("NONE").Sign() }, want: clerkauth.ErrAlgorithm},
		{name: "3 HS256 keyed with the PEM public key", token: func(f *fixture) string { return f.iss.Token().SignHS256([]byte(f.iss.PEM())) }, want: clerkauth.ErrAlgorithm},
		{name: "3 HS256 keyed with the public key, no kid", token: func(f *fixture) string {
			return f.iss.Token().WithoutHeader("kid").SignHS256([]byte(f.iss.PEM()))
		}, want: clerkauth.ErrAlgorithm},
		{name: "4 HS256 with a published oct key", token: func(f *fixture) string { return f.iss.Token().KeyID("sym").SignHS256([]byte("secret")) }, want: clerkauth.ErrAlgorithm},
		{name: "5 RS512 token, RS256 allowed", token: func(f *fixture) string { return f.iss.Token().Algorithm("RS512").Sign() }, want: clerkauth.ErrAlgorithm},
		{name: "5 RS512 token against an RS256 key, RS512 allowed", cfg: allowRS512, token: func(f *fixture) string { return f.iss.Token().Algorithm("RS512").Sign() }, want: clerkauth.ErrAlgorithm},
		{name: "5 ES256 token", token: func(f *fixture) string { return f.iss.Token().Algorithm("ES256").Sign() }, want: clerkauth.ErrAlgorithm},

		// #6-#11 key selection
		{name: "6 unknown kid, real key", token: func(f *fixture) string { return f.iss.Token().KeyID("ins_unknown").Sign() }, want: clerkauth.ErrUnknownKey},
		{name: "7 kid path traversal", token: func(f *fixture) string { return f.iss.Token().KeyID("../../../../dev/null").Sign() }, want: clerkauth.ErrUnknownKey},
		{name: "7 kid SQL", token: func(f *fixture) string { return f.iss.Token().KeyID("'OR'1'='1").Sign() }, want: clerkauth.ErrUnknownKey},
		{name: "7 kid with spaces", token: func(f *fixture) string { return f.iss.Token().KeyID("' OR '1'='1").Sign() }, want: clerkauth.ErrMissingKID},
		{name: "7 kid 1 KB", token: func(f *fixture) string { return f.iss.Token().KeyID(strings.Repeat("k", 1024)).Sign() }, want: clerkauth.ErrMissingKID},
		{name: "7 kid control character", token: func(f *fixture) string { return f.iss.Token().KeyID("ins_\x01").Sign() }, want: clerkauth.ErrMissingKID},
		{name: "7 kid number", token: func(f *fixture) string { return f.iss.Token().Header("kid", 7).Sign() }, want: clerkauth.ErrTokenMalformed},
		{name: "8 no kid", token: func(f *fixture) string { return f.iss.Token().WithoutHeader("kid").Sign() }, want: clerkauth.ErrMissingKID},
		{name: "8 empty kid", token: func(f *fixture) string { return f.iss.Token().KeyID("").Sign() }, want: clerkauth.ErrMissingKID},
		{name: "9 jku to an attacker key set", token: func(f *fixture) string {
			return f.iss.Token().Header("jku", "http://127.0.0.1:1/jwks.json").SignWith(attacker.Private).Sign()
		}, want: clerkauth.ErrInvalidSignature},
		{name: "10 embedded jwk with the real kid", token: func(f *fixture) string {
			return f.iss.Token().Header("jwk", map[string]any{"kty": "RSA", "kid": f.iss.KeyID(), "n": "AQAB", "e": "AQAB"}).SignWith(attacker.Private).Sign()
		}, want: clerkauth.ErrInvalidSignature},
		{name: "10 embedded jwk without kid", token: func(f *fixture) string {
			return f.iss.Token().WithoutHeader("kid").Header("jwk", map[string]any{"kty": "RSA"}).SignWith(attacker.Private).Sign()
		}, want: clerkauth.ErrMissingKID},
		{name: "11 x5u and x5c", token: func(f *fixture) string {
			return f.iss.Token().Header("x5u", "http://127.0.0.1:1/c.pem").Header("x5c", []string{"MIIB"}).SignWith(attacker.Private).Sign()
		}, want: clerkauth.ErrInvalidSignature},
		{name: "12 crit exp", token: func(f *fixture) string {
			return f.iss.Token().Header("crit", []string{"exp"}).Header("exp", 1).Sign()
		}, want: clerkauth.ErrCriticalHeader},
		{name: "12 crit empty list", token: func(f *fixture) string { return f.iss.Token().Header("crit", []string{}).Sign() }, want: clerkauth.ErrCriticalHeader},
		{name: "13 crit b64 false", token: func(f *fixture) string {
			return f.iss.Token().Header("crit", []string{"b64"}).Header("b64", false).Sign()
		}, want: clerkauth.ErrTokenMalformed},

		// #14-#26 times
		{name: "14 exp 60 s ago", token: func(f *fixture) string { return f.iss.Token().ExpiresAt(f.now.Add(-time.Minute)).Sign() }, want: clerkauth.ErrTokenExpired},
		{name: "15 exp 3 s ago, leeway 5 s", token: func(f *fixture) string { return f.iss.Token().ExpiresAt(f.now.Add(-3 * time.Second)).Sign() }},
		{name: "16 exp now, leeway 0", cfg: exactTime, token: func(f *fixture) string { return f.iss.Token().ExpiresAt(f.now).Sign() }, want: clerkauth.ErrTokenExpired},
		{name: "17 nbf in 60 s", token: func(f *fixture) string { return f.iss.Token().NotBefore(f.now.Add(time.Minute)).Sign() }, want: clerkauth.ErrTokenNotYetValid},
		{name: "18 iat in 60 s", token: func(f *fixture) string {
			return f.iss.Token().IssuedAt(f.now.Add(time.Minute)).NotBefore(f.now).Sign()
		}, want: clerkauth.ErrTokenNotYetValid},
		{name: "19 iat in 3 s, leeway 5 s", token: func(f *fixture) string { return f.iss.Token().IssuedAt(f.now.Add(3 * time.Second)).Sign() }},
		{name: "20 no exp", token: func(f *fixture) string { return f.iss.Token().Without("exp").Sign() }, want: clerkauth.ErrMissingClaim},
		{name: "20 exp null", token: func(f *fixture) string { return f.rawToken(f.header(""), f.validPayload(`,"exp":null`)) }, want: clerkauth.ErrTokenMalformed},
		{name: "21 exp 0", token: func(f *fixture) string { return f.iss.Token().Claim("exp", 0).Sign() }, want: clerkauth.ErrTokenMalformed},
		{name: "22 exp as a string", token: func(f *fixture) string { return f.iss.Token().Claim("exp", "1800000060").Sign() }, want: clerkauth.ErrTokenMalformed},
		{name: "23 exp 1e300", token: func(f *fixture) string { return f.iss.Token().Claim("exp", 1e300).Sign() }, want: clerkauth.ErrTokenMalformed},
		{name: "23 exp 2^63-1", token: func(f *fixture) string { return f.iss.Token().Claim("exp", int64(1<<63-1)).Sign() }, want: clerkauth.ErrTokenMalformed},
		{name: "23 exp -1e300", token: func(f *fixture) string { return f.iss.Token().Claim("exp", -1e300).Sign() }, want: clerkauth.ErrTokenMalformed},
		{name: "24 nbf 1e300", token: func(f *fixture) string { return f.iss.Token().Claim("nbf", 1e300).Sign() }, want: clerkauth.ErrTokenMalformed},
		{name: "24 iat 1e300", token: func(f *fixture) string { return f.iss.Token().Claim("iat", 1e300).Sign() }, want: clerkauth.ErrTokenMalformed},
		{name: "24 nbf negative", token: func(f *fixture) string { return f.iss.Token().Claim("nbf", -5).Sign() }, want: clerkauth.ErrTokenMalformed},
		{name: "25 exp 1e400", token: func(f *fixture) string {
			return f.rawToken(f.header(""), strings.Replace(f.validPayload(""), `"exp":1800000060`, `"exp":1e400`, 1))
		}, want: clerkauth.ErrTokenMalformed},
		{name: "26 fractional exp not yet reached", cfg: exactTime, token: func(f *fixture) string {
			return f.rawToken(f.header(""), strings.Replace(f.validPayload(""), `"exp":1800000060`, `"exp":1800000000.9`, 1))
		}},
		{name: "26 fractional exp just passed", cfg: exactTime, token: func(f *fixture) string {
			return f.rawToken(f.header(""), strings.Replace(f.validPayload(""), `"exp":1800000060`, `"exp":1799999999.9`, 1))
		}, want: clerkauth.ErrTokenExpired},

		// #27-#33 claims
		{name: "27 another instance's iss", token: func(f *fixture) string { return f.iss.Token().IssuerClaim("https://clerk.evil.example").Sign() }, want: clerkauth.ErrIssuer},
		{name: "27 iss with a trailing slash", token: func(f *fixture) string { return f.iss.Token().IssuerClaim(f.iss.Issuer() + "/").Sign() }, want: clerkauth.ErrIssuer},
		{name: "27 iss prefix", token: func(f *fixture) string { return f.iss.Token().IssuerClaim(f.iss.Issuer() + ".evil.example").Sign() }, want: clerkauth.ErrIssuer},
		{name: "27 no iss", token: func(f *fixture) string { return f.iss.Token().Without("iss").Sign() }, want: clerkauth.ErrIssuer},
		{name: "27 iss not a string", token: func(f *fixture) string { return f.iss.Token().Claim("iss", []string{f.iss.Issuer()}).Sign() }, want: clerkauth.ErrTokenMalformed},
		{name: "28 azp not allowed", cfg: parties, token: func(f *fixture) string { return f.iss.Token().AuthorizedParty("https://evil.example").Sign() }, want: clerkauth.ErrAuthorizedParty},
		{name: "28 azp missing while required", cfg: parties, token: func(f *fixture) string { return f.iss.Token().Sign() }, want: clerkauth.ErrAuthorizedParty},
		{name: "28 azp with a trailing slash", cfg: parties, token: func(f *fixture) string { return f.iss.Token().AuthorizedParty(testOrigin + "/").Sign() }, want: clerkauth.ErrAuthorizedParty},
		{name: "28 azp in upper case", cfg: parties, token: func(f *fixture) string { return f.iss.Token().AuthorizedParty(strings.ToUpper(testOrigin)).Sign() }, want: clerkauth.ErrAuthorizedParty},
		{name: "28 azp allowed", cfg: parties, token: func(f *fixture) string { return f.iss.Token().AuthorizedParty(testOrigin).Sign() }},
		{name: "28 azp ignored when not configured", token: func(f *fixture) string { return f.iss.Token().AuthorizedParty("https://anything.example").Sign() }},
		{name: "29 aud is not checked", token: func(f *fixture) string { return f.iss.Token().Claim("aud", []any{5, "x"}).Sign() }},
		{name: "30 no sid (a JWT-template token)", token: func(f *fixture) string { return f.iss.Token().Without("sid").Sign() }, want: clerkauth.ErrMissingClaim},
		{name: "30 template category", token: func(f *fixture) string { return f.iss.Token().Category(clerkauthtest.CategoryTemplate).Sign() }, want: clerkauth.ErrTokenType},
		{name: "30 machine category", token: func(f *fixture) string { return f.iss.Token().Category(clerkauthtest.CategoryMachine).Sign() }, want: clerkauth.ErrTokenType},
		{name: "30 unknown category", token: func(f *fixture) string { return f.iss.Token().Category("cl_I7d4PD111III").Sign() }, want: clerkauth.ErrTokenType},
		{name: "30 no category (older tokens)", token: func(f *fixture) string { return f.iss.Token().Category("").Sign() }},
		{name: "30 typ at+jwt", token: func(f *fixture) string { return f.iss.Token().Header("typ", "at+jwt").Sign() }, want: clerkauth.ErrTokenType},
		{name: "30 machine subject", token: func(f *fixture) string { return f.iss.Token().User("mch_123").Sign() }, want: clerkauth.ErrTokenType},
		{name: "30 no sub", token: func(f *fixture) string { return f.iss.Token().Without("sub").Sign() }, want: clerkauth.ErrMissingClaim},
		{name: "31 duplicate iss, evil first", token: func(f *fixture) string {
			return f.rawToken(f.header(""), strings.Replace(f.validPayload(""), `{"iss"`, `{"iss":"https://clerk.evil.example","iss"`, 1))
		}, want: clerkauth.ErrTokenMalformed},
		{name: "31 duplicate iss, evil last", token: func(f *fixture) string {
			return f.rawToken(f.header(""), f.validPayload(`,"iss":"https://clerk.evil.example"`))
		}, want: clerkauth.ErrTokenMalformed},
		{name: "31 duplicate unknown claim", token: func(f *fixture) string { return f.rawToken(f.header(""), f.validPayload(`,"role":"a","role":"b"`)) }, want: clerkauth.ErrTokenMalformed},
		{name: "31 escaped key aliasing iss", token: func(f *fixture) string {
			return f.rawToken(f.header(""), f.validPayload(`,"\u0069ss":"https://clerk.evil.example"`))
		}, want: clerkauth.ErrTokenMalformed},
		{name: "32 duplicate header alg, none first", token: func(f *fixture) string {
			return f.rawToken(`{"alg":"none","alg":"RS256","kid":"`+f.iss.KeyID()+`"}`, f.validPayload(""))
		}, want: clerkauth.ErrTokenMalformed},
		{name: "33 ISS in upper case only", token: func(f *fixture) string {
			return f.rawToken(f.header(""), strings.Replace(f.validPayload(""), `"iss"`, `"ISS"`, 1))
		}, want: clerkauth.ErrTokenMalformed},
		{name: "33 EXP in the past next to a valid exp", token: func(f *fixture) string { return f.rawToken(f.header(""), f.validPayload(`,"EXP":1`)) }, want: clerkauth.ErrTokenMalformed},
		{name: "33 Iss good next to an evil iss", token: func(f *fixture) string {
			p := strings.Replace(f.validPayload(`,"Iss":"`+f.iss.Issuer()+`"`), `"iss":"`+f.iss.Issuer()+`"`, `"iss":"https://clerk.evil.example"`, 1)
			return f.rawToken(f.header(""), p)
		}, want: clerkauth.ErrTokenMalformed},
		{name: "34 payload is an array", token: func(f *fixture) string { return f.rawToken(f.header(""), `["x"]`) }, want: clerkauth.ErrTokenMalformed},
		{name: "34 payload is a string", token: func(f *fixture) string { return f.rawToken(f.header(""), `"x"`) }, want: clerkauth.ErrTokenMalformed},
		{name: "34 trailing data after the payload", token: func(f *fixture) string { return f.rawToken(f.header(""), f.validPayload("")+`{}`) }, want: clerkauth.ErrTokenMalformed},
		{name: "34 header is an array", token: func(f *fixture) string { return f.rawToken(`["RS256"]`, f.validPayload("")) }, want: clerkauth.ErrTokenMalformed},
		{name: "34 header without alg", token: func(f *fixture) string { return f.rawToken(`{"kid":"`+f.iss.KeyID()+`"}`, f.validPayload("")) }, want: clerkauth.ErrTokenMalformed},

		// #35-#41 encoding
		{name: "35 padding", token: func(f *fixture) string { return pad(f.iss.Token().Sign()) }, want: clerkauth.ErrTokenMalformed},
		{name: "35 standard base64 characters", token: func(f *fixture) string {
			return strings.NewReplacer("-", "+", "_", "/").Replace(f.iss.Token().Sign()) + "+/"
		}, want: clerkauth.ErrTokenMalformed},
		{name: "36 non-canonical trailing bits in the signature", token: func(f *fixture) string { return nonCanonical(f.iss.Token().Sign()) }, want: clerkauth.ErrTokenMalformed},
		{name: "37 trailing LF", token: func(f *fixture) string { return f.iss.Token().Sign() + "\n" }, want: clerkauth.ErrTokenMalformed},
		{name: "37 trailing CRLF", token: func(f *fixture) string { return f.iss.Token().Sign() + "\r\n" }, want: clerkauth.ErrTokenMalformed},
		{name: "37 LF inside the signature", token: func(f *fixture) string {
			tok := f.iss.Token().Sign()
			return tok[:len(tok)-10] + "\n" + tok[len(tok)-10:]
		}, want: clerkauth.ErrTokenMalformed},
		{name: "38 leading space", token: func(f *fixture) string { return " " + f.iss.Token().Sign() }, want: clerkauth.ErrTokenMalformed},
		{name: "38 trailing space", token: func(f *fixture) string { return f.iss.Token().Sign() + " " }, want: clerkauth.ErrTokenMalformed},
		{name: "38 NUL byte", token: func(f *fixture) string { return f.iss.Token().Sign() + "\x00" }, want: clerkauth.ErrTokenMalformed},
		{name: "39 four segments", token: func(f *fixture) string { return f.iss.Token().Sign() + ".e30" }, want: clerkauth.ErrTokenMalformed},
		{name: "39 five segments (JWE)", token: func(f *fixture) string { return "e30.e30.e30.e30.e30" }, want: clerkauth.ErrTokenMalformed},
		{name: "39 two segments", token: func(f *fixture) string { return "e30.e30" }, want: clerkauth.ErrTokenMalformed},
		{name: "39 empty payload segment", token: func(f *fixture) string { return b64(f.header("")) + "..c2ln" }, want: clerkauth.ErrTokenMalformed},
		{name: "39 empty", token: func(f *fixture) string { return "" }, want: clerkauth.ErrTokenMissing},
		{name: "40 1 MiB of dots", token: func(f *fixture) string { return bigDots }, want: clerkauth.ErrTokenTooLarge},
		{name: "41 2 MiB validly signed token", token: func(f *fixture) string {
			return f.iss.Token().Claim("blob", strings.Repeat("a", 2<<20)).Sign()
		}, want: clerkauth.ErrTokenTooLarge},
		{name: "42 a 1024-bit key from a key source", cfg: func(c *clerkauth.Config) {
			c.Keys = keySourceFunc(func(*jwt.Token) (any, error) { return &small.PublicKey, nil })
		}, token: func(f *fixture) string { return f.iss.Token().SignWith(small).Sign() }, want: clerkauth.ErrInvalidSignature},
		{name: "43 the attacker's key with the real kid", token: func(f *fixture) string { return f.iss.Token().SignWith(attacker.Private).Sign() }, want: clerkauth.ErrInvalidSignature},
		{name: "44 expired and a bad signature", token: func(f *fixture) string {
			return f.iss.Token().ExpiresAt(f.now.Add(-time.Hour)).SignWith(attacker.Private).Sign()
		}, want: clerkauth.ErrInvalidSignature},
		{name: "44 tampered payload", token: func(f *fixture) string {
			parts := strings.Split(f.iss.Token().User("user_a").Sign(), ".")
			other := strings.Split(f.iss.Token().User("user_admin").Sign(), ".")
			return parts[0] + "." + other[1] + "." + parts[2]
		}, want: clerkauth.ErrInvalidSignature},

		// Clerk session rules
		{name: "sts pending", token: func(f *fixture) string { return f.iss.Token().Pending().Sign() }, want: clerkauth.ErrSessionPending},
		{name: "sts pending allowed", cfg: func(c *clerkauth.Config) { c.AllowPending = true }, token: func(f *fixture) string { return f.iss.Token().Pending().Sign() }},
		{name: "sts revoked", token: func(f *fixture) string { return f.iss.Token().Claim("sts", "revoked").Sign() }, want: clerkauth.ErrSessionStatus},
		{name: "sts active", token: func(f *fixture) string { return f.iss.Token().Claim("sts", "active").Sign() }},
		{name: "claims version 3", token: func(f *fixture) string { return f.iss.Token().Claim("v", 3).Sign() }, want: clerkauth.ErrTokenType},
		{name: "claims version as a string", token: func(f *fixture) string { return f.iss.Token().Claim("v", "2").Sign() }, want: clerkauth.ErrTokenMalformed},
		{name: "o not an object", token: func(f *fixture) string { return f.iss.Token().Claim("o", "org_1").Sign() }, want: clerkauth.ErrTokenMalformed},
		{name: "org_permissions with a number", token: func(f *fixture) string {
			return f.iss.Token().V1().Claim("org_id", "org_1").Claim("org_permissions", []any{"org:a:b", 5}).Sign()
		}, want: clerkauth.ErrTokenMalformed},
		{name: "fva of three numbers", token: func(f *fixture) string { return f.iss.Token().Claim("fva", []int{1, 2, 3}).Sign() }, want: clerkauth.ErrTokenMalformed},
		{name: "act not an object", token: func(f *fixture) string { return f.iss.Token().Claim("act", "user_admin").Sign() }, want: clerkauth.ErrTokenMalformed},
		{name: "invalid UTF-8 in a claim", token: func(f *fixture) string { return f.rawToken(f.header(""), f.validPayload(",\"x\":\"\xff\"")) }, want: clerkauth.ErrTokenMalformed},
		{name: "lone surrogate escape", token: func(f *fixture) string { return f.rawToken(f.header(""), f.validPayload(`,"x":"\ud800"`)) }, want: clerkauth.ErrTokenMalformed},
		{name: "deep nesting", token: func(f *fixture) string {
			return f.rawToken(f.header(""), f.validPayload(`,"x":`+strings.Repeat("[", 100)+strings.Repeat("]", 100)))
		}, want: clerkauth.ErrTokenMalformed},
	}
}

// keySourceFunc adapts a function to jwks.Source.
type keySourceFunc func(*jwt.Token) (any, error)

func (f keySourceFunc) Keyfunc(t *jwt.Token) (any, error) { return f(t) }

// pad adds base64 padding to the signature segment.
func pad(token string) string { return token + "==" }

// nonCanonical changes the last character of the signature so its unused low bits are
// set: the same bytes under a lax decoder, a different string.
func nonCanonical(token string) string {
	last := token[len(token)-1]
	// A 256-byte signature is 342 base64url characters + 2 unused bits in the last one.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, last)
	return token[:len(token)-1] + string(alphabet[i|1])
}

func TestAttackCatalogue(t *testing.T) {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	for _, a := range attackCatalogue(t) {
		t.Run(a.name, func(t *testing.T) {
			f := fixtureFor(t, iss, a.cfg)
			token := a.token(f)
			s, err := f.verify(t, token)
			if a.want == nil {
				require.NoError(t, err)
				require.NotNil(t, s)
				return
			}
			require.ErrorIs(t, err, a.want)
			require.Nil(t, s)
			if token != "" {
				require.NotContains(t, err.Error(), token, "errors never carry the token")
			}

			// Through the middleware: the status and challenge RFC 6750 asks for, and a
			// body that says nothing of the token or the reason.
			if token == "" || strings.ContainsAny(token, "\r\n\x00") {
				return // not sendable in a header
			}
			rec := f.serve(bearer(token))
			switch {
			case a.want == clerkauth.ErrTokenTooLarge:
				require.Equal(t, http.StatusBadRequest, rec.Code)
				require.Equal(t, `Bearer realm="api", error="invalid_request"`, rec.Header().Get("WWW-Authenticate"))
			case strings.HasPrefix(token, " "):
				// "Bearer" then two spaces is a valid header (1*SP): the token is fine.
				require.Equal(t, http.StatusOK, rec.Code)
				return
			case strings.HasSuffix(token, " "):
				require.Equal(t, http.StatusBadRequest, rec.Code, "stray spaces in the header")
				require.Equal(t, `Bearer realm="api", error="invalid_request"`, rec.Header().Get("WWW-Authenticate"))
			default:
				require.Equal(t, http.StatusUnauthorized, rec.Code)
				require.Equal(t, `Bearer realm="api", error="invalid_token"`, rec.Header().Get("WWW-Authenticate"))
			}
			require.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
			requireNoLeak(t, rec.Body.String(), token)
		})
	}
}

func TestJKUIsNeverFetched(t *testing.T) {
	var hits atomic.Int64
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer evil.Close()
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	clock := clerkauthtest.NewClock(testNow)
	remote, err := jwks.NewRemote(t.Context(), jwks.RemoteConfig{URL: iss.JWKSURL(), Now: clock.Now})
	require.NoError(t, err)
	defer remote.Close()
	f := fixtureFor(t, iss, func(c *clerkauth.Config) { c.Keys = remote })
	attacker := clerkauthtest.NewKey()
	for _, h := range []string{"jku", "x5u"} {
		clock.Advance(jwks.DefaultUnknownKIDInterval) // each token gets its own key set fetch
		tok := f.iss.Token().Header(h, evil.URL+"/keys").KeyID("ins_attacker").SignWith(attacker.Private).Sign()
		_, err := f.verify(t, tok)
		require.ErrorIs(t, err, clerkauth.ErrUnknownKey)
	}
	require.Zero(t, hits.Load(), "no request ever reaches a URL named by a token")
}

func TestDotFloodIsCheap(t *testing.T) {
	f := newFixture(t, nil)
	small := strings.Repeat(".", 10<<10)
	huge := strings.Repeat(".", 1<<20)
	ctx := context.Background()
	for _, tok := range []string{small, huge} {
		allocs := testing.AllocsPerRun(20, func() { _, _ = f.v.Verify(ctx, tok) })
		require.LessOrEqual(t, allocs, 8.0, "refusing an oversized token allocates a constant few objects")
	}
}

func TestCaseVariantDuplicatesAreRefused(t *testing.T) {
	f := newFixture(t, nil)
	for name, extra := range map[string]string{
		"SUB next to sub":     `,"SUB":"user_b"`,
		"Email next to email": `,"email":"a@example.com","EMAIL":"b@example.com"`,
		"o.ID next to o.id":   `,"o":{"id":"org_1","ID":"org_2"}`,
	} {
		_, err := f.verify(t, f.rawToken(f.header(""), f.validPayload(extra)))
		require.ErrorIs(t, err, clerkauth.ErrTokenMalformed, name)
	}
	// Keys that are merely similar are fine.
	_, err := f.verify(t, f.rawToken(f.header(""), f.validPayload(`,"subs":"x","Sub2":"y"`)))
	require.NoError(t, err)
}
