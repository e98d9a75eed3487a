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
	_, err = machine.Chain().VerifyMachineToken(t.Context(), "abc")
	require.ErrorIs(t, err, clerkauth.ErrTokenType, "an empty chain handles nothing")
}

// A nil pointer behind the interface (a *BackendAPI or *StaticKeys that was never built,
// a nil func) is left out of the chain when it is built: the chain answers with the
// others instead of panicking on the first token.
func TestChainLeavesOutTypedNils(t *testing.T) {
	static, err := machine.NewStaticKeys(machine.ServiceAccount{Name: "billing", KeyHash: machine.HashAPIKey("svc_billing_key")})
	require.NoError(t, err)
	var (
		nilBackend *machine.BackendAPI
		nilStatic  *machine.StaticKeys
		nilFunc    machineFunc
	)
	chain := machine.Chain(nilBackend, nil, nilFunc, nilStatic, static)
	for _, token := range []string{"ak_Sh0rtButW3llF0rmedKey", "eyJ.eyJ.sig", "svc_billing_key", "svc_other"} {
		require.NotPanics(t, func() { _, _ = chain.VerifyMachineToken(t.Context(), token) }, token)
	}
	p, err := chain.VerifyMachineToken(t.Context(), "svc_billing_key")
	require.NoError(t, err)
	require.Equal(t, "billing", p.Subject)
	_, err = chain.VerifyMachineToken(t.Context(), "ak_Sh0rtButW3llF0rmedKey")
	require.ErrorIs(t, err, clerkauth.ErrTokenType, "no verifier of Clerk's tokens is left")

	_, err = machine.Chain(nilBackend, nilStatic).VerifyMachineToken(t.Context(), "svc_billing_key")
	require.ErrorIs(t, err, clerkauth.ErrTokenType, "only nils: an empty chain")
}
