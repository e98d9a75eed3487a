package machine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/clerkauth/machine"
)

type machineFunc func(ctx context.Context, token string) (*clerkauth.Principal, error)

func (f machineFunc) VerifyMachineToken(ctx context.Context, token string) (*clerkauth.Principal, error) {
	return f(ctx, token)
}

func TestChain(t *testing.T) {
	notMine := machineFunc(func(ctx context.Context, tok string) (*clerkauth.Principal, error) {
		return nil, clerkauth.ErrTokenType
	})
	mine := machineFunc(func(ctx context.Context, tok string) (*clerkauth.Principal, error) {
		if strings.HasPrefix(tok, "x") {
			return &clerkauth.Principal{Kind: clerkauth.KindServiceAccount, ID: tok}, nil
		}
		return nil, clerkauth.ErrMachineTokenInvalid
	})
	chain := machine.Chain(notMine, nil, mine)
	p, err := chain.VerifyMachineToken(t.Context(), "xyz")
	require.NoError(t, err)
	require.Equal(t, "xyz", p.ID)
	_, err = chain.VerifyMachineToken(t.Context(), "abc")
	require.ErrorIs(t, err, clerkauth.ErrMachineTokenInvalid)
	_, err = machine.Chain(notMine).VerifyMachineToken(t.Context(), "abc")
	require.ErrorIs(t, err, clerkauth.ErrTokenType)
}
