package jwks

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors. Every error a [Source] returns wraps exactly one of the lookup sentinels
// below, so callers branch with [errors.Is]; the constructors' errors wrap [ErrInvalidKey],
// [ErrInvalidConfig] or [ErrInvalidPublishableKey].
var (
	// ErrKeysUnavailable means the key for the token cannot be had now: the JWKS endpoint
	// has not answered with a usable document since start-up, it failed while looking for
	// a key the set does not have, or the unknown-kid interval allows no fetch yet
	// ([KeyPendingError]). A token that fails with it may well be valid; answer 503, not
	// 401.
	ErrKeysUnavailable = errors.New("jwks: verification keys unavailable")

	// ErrUnknownKey means the key set was loaded and has no key with the token's kid: a
	// fetch that started after the lookup did not have it, or the key was withdrawn.
	ErrUnknownKey = errors.New("jwks: no key with the token's kid")

	// ErrMissingKID means the token header has no kid, or one that is not a usable string.
	// Clerk always sends one, and a kid-less lookup would try every key.
	ErrMissingKID = errors.New("jwks: token has no usable kid")

	// ErrKeyAlgorithm means a key was found but does not allow the token's alg (a key
	// published for RS256 used with an RS512 token, say).
	ErrKeyAlgorithm = errors.New("jwks: key does not allow the token's algorithm")

	// ErrInvalidKey means a key given to ParsePEM or ParseJSON cannot be used: empty input,
	// garbage, a private key, a non-RSA key, a key under 2048 bits, a key not meant for
	// signatures.
	ErrInvalidKey = errors.New("jwks: invalid key")

	// ErrInvalidConfig means a RemoteConfig was refused by NewRemote.
	ErrInvalidConfig = errors.New("jwks: invalid configuration")

	// ErrInvalidPublishableKey means a string is not a Clerk publishable key
	// (pk_test_… or pk_live_… encoding a Frontend API host).
	ErrInvalidPublishableKey = errors.New("jwks: invalid publishable key")

	// ErrClosed is returned by Ready after Close.
	ErrClosed = errors.New("jwks: remote key set closed")
)

// KeyPendingError is the error a [Remote] returns for a kid its key set does not have
// while UnknownKIDInterval allows no fetch yet (other unknown kids used it). The token
// may be signed with a key published since the last fetch, so it wraps
// [ErrKeysUnavailable] (answer 503, never 401): errors.Is(err, ErrKeysUnavailable) holds,
// and errors.As gives the wait.
type KeyPendingError struct {
	// KID is the token's kid (from the unverified header: quote it only in logs).
	KID string
	// RetryAfter is how long until the Remote fetches the key set again. It does so on
	// its own, so a client that retries after RetryAfter gets the new key if it is
	// published.
	RetryAfter time.Duration
}

// Error says which kid and when the next fetch happens, in whole seconds rounded up.
func (e *KeyPendingError) Error() string {
	return fmt.Sprintf("%v: kid %q is not in the key set and the next fetch is in %v", ErrKeysUnavailable, e.KID,
		(e.RetryAfter + time.Second - 1).Truncate(time.Second))
}

// Unwrap returns ErrKeysUnavailable.
func (e *KeyPendingError) Unwrap() error { return ErrKeysUnavailable }
