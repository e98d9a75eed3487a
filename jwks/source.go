package jwks

import (
	"context"

	"github.com/golang-jwt/jwt/v5"
)

// Source is where verification keys come from. Keyfunc has the shape of [jwt.Keyfunc]:
// given a parsed (not yet verified) token it returns the public key to check the
// signature with, or an error wrapping one of this package's sentinels.
type Source interface {
	Keyfunc(token *jwt.Token) (any, error)
}

// ContextSource is a [Source] that can honour a request's context while it waits for keys:
// a caller whose context ends stops waiting for a JWKS fetch (the fetch itself goes on for
// the other waiters). [Remote] and [Static] implement it; clerkauth uses it when available.
type ContextSource interface {
	Source
	// Key is Keyfunc with a context.
	Key(ctx context.Context, token *jwt.Token) (any, error)
}

// KeyChecker is implemented by sources that can tell, without fetching, whether a key is
// still in their set ([Remote] and [Static] do). clerkauth uses it so that a token
// verified earlier stops being accepted from its cache once its key is withdrawn.
type KeyChecker interface {
	HasKey(kid string) bool
}

// Algorithms a key may be used with. Clerk signs session tokens with RS256; RS384 and RS512
// are the other RSA PKCS#1 v1.5 algorithms Clerk's SDKs accept.
const (
	RS256 = "RS256"
	RS384 = "RS384"
	RS512 = "RS512"
)

// MinRSABits is the smallest RSA modulus, in bits, this package accepts.
const MinRSABits = 2048

// maxKIDLength bounds a kid: Clerk's are short ("ins_…"); anything longer is not one.
const maxKIDLength = 256

// tokenKID returns the token's kid header when it is a usable string.
func tokenKID(token *jwt.Token) (string, bool) {
	kid, ok := token.Header["kid"].(string)
	if !ok || !validKID(kid) {
		return "", false
	}
	return kid, true
}

// validKID reports whether kid is non-empty, bounded and printable ASCII.
func validKID(kid string) bool {
	if kid == "" || len(kid) > maxKIDLength {
		return false
	}
	for i := 0; i < len(kid); i++ {
		if c := kid[i]; c < 0x21 || c > 0x7e {
			return false
		}
	}
	return true
}

// tokenAlg returns the token's alg header.
func tokenAlg(token *jwt.Token) string {
	alg, _ := token.Header["alg"].(string)
	return alg
}
