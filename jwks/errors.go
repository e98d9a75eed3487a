package jwks

import "errors"

// Sentinel errors. Every error a [Source] returns wraps exactly one of the lookup sentinels
// below, so callers branch with [errors.Is]; the constructors' errors wrap [ErrInvalidKey],
// [ErrInvalidConfig] or [ErrInvalidPublishableKey].
var (
	// ErrKeysUnavailable means no key set could be loaded: the JWKS endpoint has not answered
	// with a usable document since start-up, or it failed while looking for a key the set
	// does not have. A token that fails with it may well be valid; answer 503, not 401.
	ErrKeysUnavailable = errors.New("jwks: verification keys unavailable")

	// ErrUnknownKey means the key set was loaded and has no key with the token's kid (after
	// the refresh the rate limit allowed, if any).
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
