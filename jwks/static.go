package jwks

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// Static is a fixed set of verification keys: Clerk's "JWKS Public Key" as PEM
// ([ParsePEM], networkless verification) or a JWKS document ([ParseJSON]). It never makes
// a request and is safe for concurrent use.
type Static struct {
	pem   *rsa.PublicKey // a PEM key: no kid, serves every RS256 token
	store *indexStorage  // a JWKS document: looked up by kid through keyfunc
	kf    keyfunc.Keyfunc
}

var _ ContextSource = (*Static)(nil)

// ParsePEM parses Clerk's PEM public key (the Dashboard's "JWKS Public Key", what Clerk's
// SDKs read from CLERK_JWT_KEY): a PKIX "PUBLIC KEY" or PKCS#1 "RSA PUBLIC KEY" block
// holding an RSA key of at least 2048 bits. Like Clerk's SDKs it also accepts the bare
// base64 body without the BEGIN/END lines, and escaped "\n" line breaks as environment
// variables often carry them. A PEM key has no kid, so it serves every RS256 token.
func ParsePEM(s string) (*Static, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, `\n`, "\n"))
	if s == "" {
		return nil, fmt.Errorf("%w: empty PEM", ErrInvalidKey)
	}
	if !strings.HasPrefix(s, "-----BEGIN") {
		if !isBase64Body(s) {
			return nil, fmt.Errorf("%w: no PEM block found (neither BEGIN/END lines nor a base64 key body)", ErrInvalidKey)
		}
		s = "-----BEGIN PUBLIC KEY-----\n" + s + "\n-----END PUBLIC KEY-----"
	}
	block, rest := pem.Decode([]byte(s))
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM block found", ErrInvalidKey)
	}
	if len(strings.TrimSpace(string(rest))) != 0 {
		return nil, fmt.Errorf("%w: unexpected data after the PEM block", ErrInvalidKey)
	}
	var pub *rsa.PublicKey
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
		}
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("%w: a %T, want an RSA public key", ErrInvalidKey, k)
		}
		pub = rk
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
		}
		pub = k
	case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "OPENSSH PRIVATE KEY":
		return nil, fmt.Errorf("%w: a private key (%s); give the public key", ErrInvalidKey, block.Type)
	case "CERTIFICATE":
		return nil, fmt.Errorf("%w: a certificate; give the public key", ErrInvalidKey)
	default:
		return nil, fmt.Errorf("%w: PEM block %q, want PUBLIC KEY or RSA PUBLIC KEY", ErrInvalidKey, block.Type)
	}
	if problem := rsaKeyProblem(pub); problem != "" {
		return nil, fmt.Errorf("%w: %s", ErrInvalidKey, problem)
	}
	return &Static{pem: pub}, nil
}

// ParseJSON parses a JWKS document ({"keys":[…]}). Every key must be usable (an RSA public
// key of at least 2048 bits, use empty or "sig", alg empty or RS256/RS384/RS512, a kid,
// no kid twice); unlike a fetched set, where an unusable key is skipped and logged, a
// configured one is an error, because it is a mistake the operator can fix.
func ParseJSON(doc []byte) (*Static, error) {
	if len(strings.TrimSpace(string(doc))) == 0 {
		return nil, fmt.Errorf("%w: empty JWKS document", ErrInvalidKey)
	}
	var set struct {
		Keys *[]json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(doc, &set); err != nil {
		return nil, fmt.Errorf("%w: JWKS document: %w", ErrInvalidKey, err)
	}
	if set.Keys == nil || len(*set.Keys) == 0 {
		return nil, fmt.Errorf(`%w: JWKS document has no "keys"`, ErrInvalidKey)
	}
	jwks := make([]jwkset.JWK, 0, len(*set.Keys))
	for i, raw := range *set.Keys {
		var material struct {
			D, P, Q, DP, DQ, QI, K string
			OTH                    json.RawMessage
		}
		if err := json.Unmarshal(raw, &material); err == nil {
			if material.K != "" {
				return nil, fmt.Errorf("%w: key %d: a symmetric key; want an RSA public key", ErrInvalidKey, i)
			}
			if material.D+material.P+material.Q+material.DP+material.DQ+material.QI != "" || len(material.OTH) > 0 {
				return nil, fmt.Errorf("%w: key %d: a private key; publish only the public key", ErrInvalidKey, i)
			}
		}
		jwk, err := jwkset.NewJWKFromRawJSON(raw, jwkset.JWKMarshalOptions{Private: true}, jwkset.JWKValidateOptions{})
		if err != nil {
			return nil, fmt.Errorf("%w: key %d: %w", ErrInvalidKey, i, err)
		}
		jwks = append(jwks, jwk)
	}
	var errs []error
	idx := buildIndex(jwks, func(_ string, err error) { errs = append(errs, err) })
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	store := newIndexStorage()
	store.idx.Store(idx)
	kf, err := keyfunc.New(keyfunc.Options{Storage: store})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	return &Static{store: store, kf: kf}, nil
}

// isBase64Body reports whether s looks like a PEM body: standard base64 and line breaks.
func isBase64Body(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
			c == '+' || c == '/' || c == '=' || c == '\n' || c == '\r') {
			return false
		}
	}
	return true
}

// Keyfunc implements [Source].
func (s *Static) Keyfunc(token *jwt.Token) (any, error) {
	return s.Key(context.Background(), token)
}

// KeyfuncCtx returns a [jwt.Keyfunc] for golang-jwt's parser; a Static never waits, so
// ctx changes nothing.
func (s *Static) KeyfuncCtx(ctx context.Context) jwt.Keyfunc {
	return func(token *jwt.Token) (any, error) { return s.Key(ctx, token) }
}

// Key implements [ContextSource].
func (s *Static) Key(ctx context.Context, token *jwt.Token) (any, error) {
	alg := tokenAlg(token)
	if s.pem != nil {
		if alg != RS256 {
			return nil, fmt.Errorf("%w: alg %q, a PEM key serves RS256", ErrKeyAlgorithm, alg)
		}
		return s.pem, nil
	}
	if !isRSAAlg(alg) {
		return nil, fmt.Errorf("%w: alg %q", ErrKeyAlgorithm, alg)
	}
	kid, ok := tokenKID(token)
	if !ok {
		return nil, ErrMissingKID
	}
	key, err := s.kf.KeyfuncCtx(ctx)(token)
	switch {
	case err == nil:
		return key, nil
	case errors.Is(err, jwkset.ErrKeyNotFound):
		return nil, fmt.Errorf("%w: kid %q", ErrUnknownKey, kid)
	default:
		return nil, fmt.Errorf("%w: %w", ErrKeyAlgorithm, err)
	}
}

// HasKey reports whether the set has a usable key with this kid; a PEM key serves every
// kid.
func (s *Static) HasKey(kid string) bool {
	if s.pem != nil {
		return true
	}
	_, ok := s.store.lookup(kid)
	return ok
}

// KeyIDs lists the kids of a JWKS-document key set, in document order; nil for a PEM key.
func (s *Static) KeyIDs() []string {
	if s.store == nil {
		return nil
	}
	return s.store.kids()
}
