package machine

import (
	"context"
	"errors"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/clerkauth/internal/typednil"
)

// chain tries verifiers in order.
type chain []clerkauth.MachineVerifier

// Chain returns a clerkauth.MachineVerifier asking each of verifiers in turn and
// answering with the first that handles the token's form (does not return
// clerkauth.ErrTokenType), such as a BackendAPI for Clerk's tokens and a StaticKeys for
// the service's own keys. A nil entry, or a nil pointer behind the interface (a
// *BackendAPI never built), is left out when the chain is built. A token no verifier
// handles gets clerkauth.ErrTokenType.
func Chain(verifiers ...clerkauth.MachineVerifier) clerkauth.MachineVerifier {
	c := make(chain, 0, len(verifiers))
	for _, v := range verifiers {
		if !typednil.IsNil(v) {
			c = append(c, v)
		}
	}
	return c
}

// VerifyMachineToken implements clerkauth.MachineVerifier.
func (c chain) VerifyMachineToken(ctx context.Context, token string) (*clerkauth.Principal, error) {
	for _, v := range c {
		p, err := v.VerifyMachineToken(ctx, token)
		if errors.Is(err, clerkauth.ErrTokenType) {
			continue
		}
		return p, err
	}
	return nil, clerkauth.ErrTokenType
}
