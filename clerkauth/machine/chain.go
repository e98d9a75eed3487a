package machine

import (
	"context"
	"errors"
	"slices"

	"github.com/unioneyes/authkit/clerkauth"
)

// chain tries verifiers in order.
type chain []clerkauth.MachineVerifier

// Chain returns a MachineVerifier asking each of verifiers in turn and answering with
// the first that handles the token's form (does not return clerkauth.ErrTokenType).
func Chain(verifiers ...clerkauth.MachineVerifier) clerkauth.MachineVerifier {
	return chain(slices.Clone(verifiers))
}

// VerifyMachineToken implements clerkauth.MachineVerifier.
func (c chain) VerifyMachineToken(ctx context.Context, token string) (*clerkauth.Principal, error) {
	for _, v := range c {
		if v == nil {
			continue
		}
		p, err := v.VerifyMachineToken(ctx, token)
		if errors.Is(err, clerkauth.ErrTokenType) {
			continue
		}
		return p, err
	}
	return nil, clerkauth.ErrTokenType
}
