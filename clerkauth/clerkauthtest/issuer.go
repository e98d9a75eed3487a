package clerkauthtest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Paths the fake instance serves, as Clerk does.
const (
	// FrontendJWKSPath is the Frontend API's public key set.
	FrontendJWKSPath = "/.well-known/jwks.json"
	// BackendJWKSPath is the Backend API's key set; it needs "Authorization: Bearer
	// <SecretKey>".
	BackendJWKSPath = "/v1/jwks"
)

// Key is one RSA signing key of the fake instance.
type Key struct {
	ID      string
	Private *rsa.PrivateKey
}

// NewKey generates a 2048-bit RSA key with a Clerk-like kid ("ins_…"). It panics if the
// system's random source fails.
func NewKey() *Key {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic("clerkauthtest: generating an RSA key: " + err.Error())
	}
	return &Key{ID: NewID("ins_"), Private: k}
}

// Issuer is a fake Clerk instance for tests and local development: it holds signing keys,
// serves them as a JWKS over an httptest server on 127.0.0.1, counts the requests it
// gets, and mints session tokens ([Issuer.Token]). It is safe for concurrent use.
//
// Like net/http/httptest, it panics on setup errors: it is only for tests and development.
type Issuer struct {
	server    *httptest.Server
	secretKey string

	mu      sync.Mutex
	signing *Key
	served  []*Key
	now     func() time.Time
	raw     *rawResponse

	down atomic.Bool
	hits atomic.Int64
}

type rawResponse struct {
	status int
	body   []byte
}

// NewIssuer starts a fake instance with one fresh 2048-bit key. Close it when done.
func NewIssuer() *Issuer {
	i := NewUnstartedIssuer()
	i.server.Start()
	return i
}

// NewUnstartedIssuer is NewIssuer without starting the server, so its Config or TLS can
// be adjusted first; call Start.
func NewUnstartedIssuer() *Issuer {
	k := NewKey()
	i := &Issuer{
		secretKey: NewID("sk_test_"),
		signing:   k,
		served:    []*Key{k},
		now:       time.Now,
	}
	i.server = httptest.NewUnstartedServer(i.Handler())
	return i
}

// Start starts an unstarted issuer's server.
func (i *Issuer) Start() { i.server.Start() }

// Close shuts the JWKS server down.
func (i *Issuer) Close() { i.server.Close() }

// URL is the base URL of the fake instance, e.g. "http://127.0.0.1:41234".
func (i *Issuer) URL() string { return i.server.URL }

// Issuer is the iss the instance's tokens carry: its URL, as a Clerk Frontend API URL is
// the iss of real tokens.
func (i *Issuer) Issuer() string { return i.server.URL }

// JWKSURL is the public key set, like Clerk's Frontend API "/.well-known/jwks.json".
func (i *Issuer) JWKSURL() string { return i.server.URL + FrontendJWKSPath }

// BackendJWKSURL is the key set as the Backend API serves it ("/v1/jwks"); requests
// need SecretKey as a Bearer token.
func (i *Issuer) BackendJWKSURL() string { return i.server.URL + BackendJWKSPath }

// SecretKey is the instance's fake secret key ("sk_test_…").
func (i *Issuer) SecretKey() string { return i.secretKey }

// KeyID is the kid of the current signing key.
func (i *Issuer) KeyID() string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.signing.ID
}

// SigningKey is the current signing key.
func (i *Issuer) SigningKey() *Key {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.signing
}

// PEM is the current signing key's public key as a PKIX "PUBLIC KEY" block: what Clerk's
// Dashboard shows as the "JWKS Public Key" (CLERK_JWT_KEY).
func (i *Issuer) PEM() string {
	return PublicKeyPEM(&i.SigningKey().Private.PublicKey)
}

// PublicKeyPEM encodes an RSA public key as a PKIX "PUBLIC KEY" PEM block.
func PublicKeyPEM(pub *rsa.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic("clerkauthtest: encoding a public key: " + err.Error())
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// Rotate makes a fresh key the signing key and returns its kid. The previous keys are
// still served (as Clerk does during a rotation) until retired.
func (i *Issuer) Rotate() string {
	k := NewKey()
	i.mu.Lock()
	defer i.mu.Unlock()
	i.signing = k
	i.served = append(i.served, k)
	return k.ID
}

// AddKey serves an extra key (without signing with it) and returns it.
func (i *Issuer) AddKey() *Key {
	k := NewKey()
	i.mu.Lock()
	defer i.mu.Unlock()
	i.served = append(i.served, k)
	return k
}

// Retire stops serving the key with this kid. The signing key can be retired too: tokens
// signed with it then no longer verify once a verifier refreshes.
func (i *Issuer) Retire(kid string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.served = slices.DeleteFunc(i.served, func(k *Key) bool { return k.ID == kid })
}

// SetDown makes the JWKS endpoints answer 500 (true) or serve the keys again (false).
func (i *Issuer) SetDown(down bool) { i.down.Store(down) }

// SetRawResponse makes the JWKS endpoints answer status and body verbatim (garbage,
// oversized documents, odd keys); a nil body restores the normal key set.
func (i *Issuer) SetRawResponse(status int, body []byte) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if body == nil {
		i.raw = nil
		return
	}
	i.raw = &rawResponse{status: status, body: slices.Clone(body)}
}

// Hits counts the requests the JWKS endpoints received (both paths, whatever the answer).
func (i *Issuer) Hits() int64 { return i.hits.Load() }

// ResetHits sets the request count back to zero.
func (i *Issuer) ResetHits() { i.hits.Store(0) }

// SetClock sets the clock tokens take their default times from (nil restores time.Now).
func (i *Issuer) SetClock(now func() time.Time) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if now == nil {
		now = time.Now
	}
	i.now = now
}

func (i *Issuer) clock() time.Time {
	i.mu.Lock()
	now := i.now
	i.mu.Unlock()
	return now()
}

// JWKS is the key set document the instance currently serves.
func (i *Issuer) JWKS() []byte {
	i.mu.Lock()
	keys := slices.Clone(i.served)
	i.mu.Unlock()
	return JWKSDocument(keys...)
}

// JWKSDocument renders keys as a JWKS document the way Clerk does (kty RSA, use sig,
// alg RS256, kid, n, e).
func JWKSDocument(keys ...*Key) []byte {
	type jwk struct {
		Use string `json:"use"`
		Kty string `json:"kty"`
		Kid string `json:"kid"`
		Alg string `json:"alg"`
		N   string `json:"n"`
		E   string `json:"e"`
	}
	doc := struct {
		Keys []jwk `json:"keys"`
	}{Keys: []jwk{}}
	for _, k := range keys {
		pub := k.Private.PublicKey
		doc.Keys = append(doc.Keys, jwk{
			Use: "sig", Kty: "RSA", Kid: k.ID, Alg: "RS256",
			N: base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
			E: base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		})
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic("clerkauthtest: encoding a JWKS: " + err.Error())
	}
	return b
}

// Handler serves the instance's JWKS endpoints; NewIssuer serves it on its own server,
// and it can be mounted elsewhere (a development server, say).
func (i *Issuer) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+FrontendJWKSPath, i.serveJWKS)
	mux.HandleFunc("GET "+BackendJWKSPath, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+i.secretKey {
			i.hits.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"errors":[{"code":"authentication_invalid"}]}`))
			return
		}
		i.serveJWKS(w, r)
	})
	return mux
}

func (i *Issuer) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	i.hits.Add(1)
	if i.down.Load() {
		http.Error(w, "fake Clerk is down", http.StatusInternalServerError)
		return
	}
	i.mu.Lock()
	raw := i.raw
	i.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if raw != nil {
		w.WriteHeader(raw.status)
		_, _ = w.Write(raw.body)
		return
	}
	_, _ = w.Write(i.JWKS())
}

// StartTLS starts an unstarted issuer's server with TLS; use Client for a client that
// trusts it.
func (i *Issuer) StartTLS() { i.server.StartTLS() }

// Client returns an HTTP client that trusts the issuer's server (its TLS certificate when
// started with StartTLS).
func (i *Issuer) Client() *http.Client { return i.server.Client() }
