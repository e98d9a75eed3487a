package jwks_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/jwks"
)

func TestParsePEMFormats(t *testing.T) {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	pub := &iss.SigningKey().Private.PublicKey

	pkix := iss.PEM()
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(pub)}))
	body := strings.Join(strings.Split(strings.TrimSpace(pkix), "\n")[1:strings.Count(strings.TrimSpace(pkix), "\n")], "")
	escaped := strings.ReplaceAll(pkix, "\n", `\n`)

	for name, in := range map[string]string{
		"PKIX PUBLIC KEY":       pkix,
		"PKCS#1 RSA PUBLIC KEY": pkcs1,
		"bare base64 body":      body,
		"escaped line breaks":   escaped,
		"surrounding space":     "\n  " + pkix + "\n\n",
	} {
		t.Run(name, func(t *testing.T) {
			s, err := jwks.ParsePEM(in)
			require.NoError(t, err)
			tok := parseUnverified(t, iss.Token().Sign())
			key, err := s.Keyfunc(tok)
			require.NoError(t, err)
			require.True(t, pub.Equal(key), "the key of the PEM")
			require.Nil(t, s.KeyIDs())
			require.True(t, s.HasKey("any kid"), "a PEM key serves every kid")
		})
	}
}

func TestParsePEMServesEveryRS256KidOnly(t *testing.T) {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	s, err := jwks.ParsePEM(iss.PEM())
	require.NoError(t, err)

	for _, kid := range []any{"ins_other", "anything"} {
		_, err := s.Keyfunc(headerToken(map[string]any{"alg": "RS256", "kid": kid}))
		require.NoError(t, err)
	}
	_, err = s.Keyfunc(headerToken(map[string]any{"alg": "RS256"}))
	require.NoError(t, err, "a PEM key has no kid to match")
	for _, alg := range []string{"RS384", "RS512", "HS256", "none", "ES256", ""} {
		_, err := s.Keyfunc(headerToken(map[string]any{"alg": alg, "kid": "x"}))
		require.ErrorIs(t, err, jwks.ErrKeyAlgorithm, alg)
	}
}

func pemOf(typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

func TestParsePEMErrors(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	smallDER, err := x509.MarshalPKIXPublicKey(&small.PublicKey)
	require.NoError(t, err)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	ecDER, err := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	require.NoError(t, err)
	key := clerkauthtest.NewKey().Private
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	require.NoError(t, err)

	for name, tc := range map[string]struct {
		in   string
		want string
	}{
		"empty":            {"", "empty PEM"},
		"spaces":           {"  \n\t ", "empty PEM"},
		"garbage":          {"not a key at all", "no PEM block"},
		"garbage block":    {pemOf("PUBLIC KEY", []byte("garbage")), "asn1"},
		"PKCS#8 private":   {pemOf("PRIVATE KEY", pkcs8), "private key"},
		"PKCS#1 private":   {pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key)), "private key"},
		"EC public":        {pemOf("PUBLIC KEY", ecDER), "want an RSA public key"},
		"1024-bit RSA":     {pemOf("PUBLIC KEY", smallDER), "1024 bits"},
		"certificate":      {pemOf("CERTIFICATE", []byte("x")), "certificate"},
		"other block":      {pemOf("SOMETHING", []byte("x")), "SOMETHING"},
		"trailing data":    {pemOf("PUBLIC KEY", pubDER) + "extra", "after the PEM block"},
		"two public keys":  {pemOf("PUBLIC KEY", pubDER) + pemOf("PUBLIC KEY", pubDER), "after the PEM block"},
		"bare not base64":  {"!!!!", "no PEM block"},
		"bad PKCS#1 bytes": {pemOf("RSA PUBLIC KEY", []byte{1, 2, 3}), "asn1"},
	} {
		t.Run(name, func(t *testing.T) {
			s, err := jwks.ParsePEM(tc.in)
			require.Nil(t, s)
			require.ErrorIs(t, err, jwks.ErrInvalidKey)
			require.Contains(t, err.Error(), tc.want)
			require.True(t, strings.HasPrefix(err.Error(), "jwks: "), err.Error())
		})
	}
}

// jwkJSON renders an RSA public key as a JWK with the given extra members.
func jwkJSON(pub *rsa.PublicKey, extra map[string]any) map[string]any {
	m := map[string]any{
		"kty": "RSA",
		"n":   base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e":   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}
	for k, v := range extra {
		if v == nil {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	return m
}

func jwksDoc(keys ...map[string]any) []byte {
	b, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		panic(err)
	}
	return b
}

func TestParseJSON(t *testing.T) {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	extra := iss.AddKey()
	s, err := jwks.ParseJSON(iss.JWKS())
	require.NoError(t, err)
	require.Equal(t, []string{iss.KeyID(), extra.ID}, s.KeyIDs())
	require.True(t, s.HasKey(extra.ID))
	require.False(t, s.HasKey("ins_other"))

	key, err := s.Keyfunc(parseUnverified(t, iss.Token().Sign()))
	require.NoError(t, err)
	require.True(t, iss.SigningKey().Private.PublicKey.Equal(key))

	key, err = s.KeyfuncCtx(t.Context())(parseUnverified(t, iss.Token().KeyID(extra.ID).SignWith(extra.Private).Sign()))
	require.NoError(t, err)
	require.True(t, extra.Private.PublicKey.Equal(key))

	_, err = s.Keyfunc(headerToken(map[string]any{"alg": "RS256", "kid": "ins_unknown"}))
	require.ErrorIs(t, err, jwks.ErrUnknownKey)
	for name, header := range map[string]map[string]any{
		"no kid":      {"alg": "RS256"},
		"empty kid":   {"alg": "RS256", "kid": ""},
		"numeric kid": {"alg": "RS256", "kid": 7},
		"long kid":    {"alg": "RS256", "kid": strings.Repeat("k", 257)},
		"control kid": {"alg": "RS256", "kid": "ins_\x00"},
	} {
		_, err = s.Keyfunc(headerToken(header))
		require.ErrorIs(t, err, jwks.ErrMissingKID, name)
	}
	for _, alg := range []string{"HS256", "none", "ES256", "PS256", ""} {
		_, err = s.Keyfunc(headerToken(map[string]any{"alg": alg, "kid": iss.KeyID()}))
		require.ErrorIs(t, err, jwks.ErrKeyAlgorithm, alg)
	}
	// The key is published for RS256: an RS512 token with its kid does not get it.
	_, err = s.Keyfunc(headerToken(map[string]any{"alg": "RS512", "kid": iss.KeyID()}))
	require.ErrorIs(t, err, jwks.ErrKeyAlgorithm)
}

func TestParseJSONAlgorithmlessKeyServesEveryRSAAlgorithm(t *testing.T) {
	k := clerkauthtest.NewKey()
	s, err := jwks.ParseJSON(jwksDoc(jwkJSON(&k.Private.PublicKey, map[string]any{"kid": "k1"})))
	require.NoError(t, err)
	for _, alg := range []string{"RS256", "RS384", "RS512"} {
		_, err := s.Keyfunc(headerToken(map[string]any{"alg": alg, "kid": "k1"}))
		require.NoError(t, err, alg)
	}
}

func TestParseJSONErrors(t *testing.T) {
	good := clerkauthtest.NewKey()
	pub := &good.Private.PublicKey
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	ecJWK := map[string]any{
		"kty": "EC", "crv": "P-256", "kid": "ec",
		"x": base64.RawURLEncoding.EncodeToString(ec.X.FillBytes(make([]byte, 32))),
		"y": base64.RawURLEncoding.EncodeToString(ec.Y.FillBytes(make([]byte, 32))),
	}
	private := jwkJSON(pub, map[string]any{
		"kid": "priv",
		"d":   base64.RawURLEncoding.EncodeToString(good.Private.D.Bytes()),
		"p":   base64.RawURLEncoding.EncodeToString(good.Private.Primes[0].Bytes()),
		"q":   base64.RawURLEncoding.EncodeToString(good.Private.Primes[1].Bytes()),
	})
	for name, tc := range map[string]struct {
		doc  []byte
		want string
	}{
		"empty":            {nil, "empty JWKS"},
		"whitespace":       {[]byte(" \n"), "empty JWKS"},
		"garbage":          {[]byte("garbage"), "JWKS document"},
		"array":            {[]byte(`[{"kty":"RSA"}]`), "JWKS document"},
		"no keys member":   {[]byte(`{"other":[]}`), `no "keys"`},
		"empty keys":       {[]byte(`{"keys":[]}`), `no "keys"`},
		"null keys":        {[]byte(`{"keys":null}`), `no "keys"`},
		"private key":      {jwksDoc(private), "private key"},
		"EC key":           {jwksDoc(ecJWK), "want RSA"},
		"oct key":          {jwksDoc(map[string]any{"kty": "oct", "kid": "sym", "k": "c2VjcmV0"}), "symmetric"},
		"1024-bit key":     {jwksDoc(jwkJSON(&small.PublicKey, map[string]any{"kid": "small"})), "1024 bits"},
		"use enc":          {jwksDoc(jwkJSON(pub, map[string]any{"kid": "enc", "use": "enc"})), `use "enc"`},
		"alg HS256":        {jwksDoc(jwkJSON(pub, map[string]any{"kid": "hs", "alg": "HS256"})), `alg "HS256"`},
		"alg PS256":        {jwksDoc(jwkJSON(pub, map[string]any{"kid": "ps", "alg": "PS256"})), `alg "PS256"`},
		"missing kid":      {jwksDoc(jwkJSON(pub, nil)), "kid"},
		"duplicate kid":    {jwksDoc(jwkJSON(pub, map[string]any{"kid": "a"}), jwkJSON(pub, map[string]any{"kid": "a"})), "more than once"},
		"missing modulus":  {jwksDoc(map[string]any{"kty": "RSA", "kid": "x", "e": "AQAB"}), "key 0"},
		"bad modulus":      {jwksDoc(map[string]any{"kty": "RSA", "kid": "x", "e": "AQAB", "n": "!!"}), "key 0"},
		"good then bad":    {jwksDoc(jwkJSON(pub, map[string]any{"kid": "ok"}), jwkJSON(&small.PublicKey, map[string]any{"kid": "small"})), "small"},
		"unknown use":      {jwksDoc(jwkJSON(pub, map[string]any{"kid": "u", "use": "other"})), "key 0"},
		"number as a key":  {[]byte(`{"keys":[5]}`), "key 0"},
		"exponent is even": {jwksDoc(jwkJSON(pub, map[string]any{"kid": "e", "e": "Ag"})), "exponent"},
	} {
		t.Run(name, func(t *testing.T) {
			s, err := jwks.ParseJSON(tc.doc)
			require.Nil(t, s)
			require.ErrorIs(t, err, jwks.ErrInvalidKey)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestStaticIgnoresEmbeddedKeyHeaders: jku, x5u, jwk and x5c in a token header never
// change which key is used (no fetch, no embedded key).
func TestStaticIgnoresEmbeddedKeyHeaders(t *testing.T) {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	attacker := clerkauthtest.NewKey()
	s, err := jwks.ParseJSON(iss.JWKS())
	require.NoError(t, err)
	raw := iss.Token().
		Header("jku", "http://127.0.0.1:1/evil.json").
		Header("x5u", "http://127.0.0.1:1/evil.pem").
		Header("jwk", jwkJSON(&attacker.Private.PublicKey, map[string]any{"kid": iss.KeyID()})).
		Header("x5c", []string{"MIIB"}).
		SignWith(attacker.Private).Sign()
	tok, err := jwt.Parse(raw, s.Keyfunc, jwt.WithValidMethods([]string{"RS256"}))
	require.ErrorIs(t, err, jwt.ErrTokenSignatureInvalid)
	require.False(t, tok.Valid)
}

func ExampleParsePEM() {
	iss := clerkauthtest.NewIssuer() // stands in for your Clerk instance
	defer iss.Close()

	// The Dashboard's "JWKS Public Key" (CLERK_JWT_KEY): verification without a network call.
	keys, err := jwks.ParsePEM(iss.PEM())
	if err != nil {
		fmt.Println(err)
		return
	}
	token, err := jwt.Parse(iss.Token().User("user_123").Sign(), keys.Keyfunc,
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithExpirationRequired(), jwt.WithIssuer(iss.Issuer()))
	if err != nil {
		fmt.Println(err)
		return
	}
	sub, _ := token.Claims.GetSubject()
	fmt.Println(token.Valid, sub)

	_, err = jwks.ParsePEM("-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----")
	fmt.Println(errors.Is(err, jwks.ErrInvalidKey))
	// Output:
	// true user_123
	// true
}

func smallKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	return k
}
