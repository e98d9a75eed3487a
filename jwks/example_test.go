package jwks_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/jwks"
)

func ExampleNewRemote() {
	iss := clerkauthtest.NewIssuer() // stands in for your Clerk instance's Frontend API
	defer iss.Close()

	ctx := context.Background()
	keys, err := jwks.NewRemote(ctx, jwks.RemoteConfig{URL: iss.JWKSURL()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer keys.Close()

	// Fail fast if the keys cannot be fetched within five seconds.
	readyCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := keys.Ready(readyCtx); err != nil {
		fmt.Println(err)
		return
	}

	token, err := jwt.Parse(iss.Token().Sign(), keys.KeyfuncCtx(ctx),
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithExpirationRequired(), jwt.WithIssuer(iss.Issuer()))
	fmt.Println(token.Valid, err)

	// A kid the instance never published: one refresh, then a clear error.
	_, err = keys.KeyfuncCtx(ctx)(&jwt.Token{Header: map[string]any{"alg": "RS256", "kid": "ins_forged"}})
	fmt.Println(errors.Is(err, jwks.ErrUnknownKey))
	// Output:
	// true <nil>
	// true
}

func ExampleRemote_Ready() {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	iss.SetDown(true) // Clerk unreachable at start-up

	keys, err := jwks.NewRemote(context.Background(), jwks.RemoteConfig{
		URL:           iss.JWKSURL(),
		RetryInterval: 10 * time.Millisecond,
		Logger:        discardLogger(),
	})
	if err != nil {
		fmt.Println(err) // only a bad configuration fails here
		return
	}
	defer keys.Close()

	_, err = keys.Keyfunc(&jwt.Token{Header: map[string]any{"alg": "RS256", "kid": iss.KeyID()}})
	fmt.Println(errors.Is(err, jwks.ErrKeysUnavailable)) // a 503, not a 401

	iss.SetDown(false) // Clerk is back; the background retry picks the keys up
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fmt.Println(keys.Ready(ctx))
	// Output:
	// true
	// <nil>
}

func ExampleParseJSON() {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()

	keys, err := jwks.ParseJSON(iss.JWKS()) // a JWKS document from configuration
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(keys.KeyIDs()))

	_, err = jwks.ParseJSON([]byte(`{"keys":[{"kty":"oct","kid":"hs","k":"c2VjcmV0"}]}`))
	fmt.Println(err)
	// Output:
	// 1
	// jwks: invalid key: key 0: a symmetric key; want an RSA public key
}
