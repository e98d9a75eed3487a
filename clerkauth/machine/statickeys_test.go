package machine_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/clerkauth/machine"
)

func staticTestKey(t testing.TB, prefix string) string {
	t.Helper()
	k, err := machine.GenerateAPIKey(prefix)
	require.NoError(t, err)
	return k
}

func TestStaticKeysVerify(t *testing.T) {
	keys := make([]string, 20)
	accounts := make([]machine.ServiceAccount, len(keys))
	for i := range keys {
		keys[i] = staticTestKey(t, "svc_")
		accounts[i] = machine.ServiceAccount{
			Name:    fmt.Sprintf("worker-%d", i),
			KeyHash: machine.HashAPIKey(keys[i]),
			Scopes:  []string{"jobs:read", fmt.Sprintf("queue:%d", i)},
		}
	}
	accounts[7].KeyHash = strings.ToUpper(accounts[7].KeyHash) // either case of hex
	accounts[3].Scopes = nil
	s, err := machine.NewStaticKeys(accounts...)
	require.NoError(t, err)

	// Every account is found, wherever it sits in the list (all hashes are compared).
	for i, k := range keys {
		p, err := s.VerifyMachineToken(context.Background(), k)
		require.NoError(t, err, "account %d", i)
		name := fmt.Sprintf("worker-%d", i)
		want := clerkauth.Principal{Kind: clerkauth.KindServiceAccount, ID: name, Subject: name, Name: name,
			Scopes: []string{"jobs:read", fmt.Sprintf("queue:%d", i)}}
		if i == 3 {
			want.Scopes = nil
		}
		assert.Equal(t, want, *p)
	}

	for _, tt := range []struct {
		name, token string
		want        error
	}{
		{"unknown key", staticTestKey(t, "svc_"), clerkauth.ErrMachineTokenInvalid},
		{"key with a character more", keys[0] + "A", clerkauth.ErrMachineTokenInvalid},
		{"key with a character less", keys[0][:len(keys[0])-1], clerkauth.ErrMachineTokenInvalid},
		{"the hash itself", accounts[0].KeyHash, clerkauth.ErrMachineTokenInvalid},
		{"empty", "", clerkauth.ErrMachineTokenInvalid},
		{"too long", strings.Repeat("k", machine.MaxServiceAccountKeyBytes+1), clerkauth.ErrMachineTokenInvalid},
		{"clerk api key", "ak_" + keys[0], clerkauth.ErrTokenType},
		{"clerk m2m token", "mt_abc", clerkauth.ErrTokenType},
		{"clerk oauth token", "oat_abc", clerkauth.ErrTokenType},
		{"jwt", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln", clerkauth.ErrTokenType},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := s.VerifyMachineToken(context.Background(), tt.token)
			require.ErrorIs(t, err, tt.want)
			assert.Nil(t, p)
			if tt.token != "" {
				assert.NotContains(t, err.Error(), tt.token)
			}
		})
	}

	// A key exactly MaxServiceAccountKeyBytes long is still hashed and compared.
	long := strings.Repeat("k", machine.MaxServiceAccountKeyBytes)
	s2, err := machine.NewStaticKeys(machine.ServiceAccount{Name: "long", KeyHash: machine.HashAPIKey(long)})
	require.NoError(t, err)
	p, err := s2.VerifyMachineToken(context.Background(), long)
	require.NoError(t, err)
	assert.Equal(t, "long", p.ID)
}

func TestStaticKeysScopesAreCopied(t *testing.T) {
	key := staticTestKey(t, "")
	scopes := []string{"read", "write"}
	s, err := machine.NewStaticKeys(machine.ServiceAccount{Name: "a", KeyHash: machine.HashAPIKey(key), Scopes: scopes})
	require.NoError(t, err)
	scopes[0] = "admin" // the configuration is copied

	p, err := s.VerifyMachineToken(context.Background(), key)
	require.NoError(t, err)
	assert.Equal(t, []string{"read", "write"}, p.Scopes)
	p.Scopes[1] = "admin" // so is every answer
	p.Scopes = append(p.Scopes, "root")

	q, err := s.VerifyMachineToken(context.Background(), key)
	require.NoError(t, err)
	assert.Equal(t, []string{"read", "write"}, q.Scopes)
	assert.True(t, q.HasScope("write"))
	assert.False(t, q.HasScope("admin"))
}

func TestNewStaticKeysRefusesBadConfig(t *testing.T) {
	h1 := machine.HashAPIKey("key-one")
	h2 := machine.HashAPIKey("key-two")
	acct := func(name, hash string, scopes ...string) machine.ServiceAccount {
		return machine.ServiceAccount{Name: name, KeyHash: hash, Scopes: scopes}
	}
	for _, tt := range []struct {
		name     string
		accounts []machine.ServiceAccount
	}{
		{"none", nil},
		{"empty name", []machine.ServiceAccount{acct("", h1)}},
		{"spaces around name", []machine.ServiceAccount{acct(" a", h1)}},
		{"control in name", []machine.ServiceAccount{acct("a\nb", h1)}},
		{"duplicate name", []machine.ServiceAccount{acct("a", h1), acct("a", h2)}},
		{"empty hash", []machine.ServiceAccount{acct("a", "")}},
		{"short hash", []machine.ServiceAccount{acct("a", h1[:63])}},
		{"long hash", []machine.ServiceAccount{acct("a", h1+"0")}},
		{"not hex", []machine.ServiceAccount{acct("a", "z"+h1[1:])}},
		{"a key instead of a hash", []machine.ServiceAccount{acct("a", "svc_"+h1[4:])}},
		{"duplicate hash", []machine.ServiceAccount{acct("a", h1), acct("b", h1)}},
		{"duplicate hash in another case", []machine.ServiceAccount{acct("a", h1), acct("b", strings.ToUpper(h1))}},
		{"hash of the empty key", []machine.ServiceAccount{acct("a", machine.HashAPIKey(""))}},
		{"empty scope", []machine.ServiceAccount{acct("a", h1, "read", "")}},
		{"scope with space", []machine.ServiceAccount{acct("a", h1, "read write")}},
		{"duplicate scope", []machine.ServiceAccount{acct("a", h1, "read", "read")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := machine.NewStaticKeys(tt.accounts...)
			require.ErrorIs(t, err, clerkauth.ErrInvalidConfig)
			assert.Nil(t, s)
		})
	}
}

func TestHashAPIKey(t *testing.T) {
	sum := sha256.Sum256([]byte("svc_example"))
	assert.Equal(t, hex.EncodeToString(sum[:]), machine.HashAPIKey("svc_example"))
	// Known answer: SHA-256("abc").
	assert.Equal(t, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", machine.HashAPIKey("abc"))
}

func TestGenerateAPIKey(t *testing.T) {
	seen := map[string]bool{}
	for _, prefix := range []string{"", "svc_", "ak", "mt", "oa", "oat", "AK_", "my-service_", strings.Repeat("p", 32)} {
		for range 200 {
			k, err := machine.GenerateAPIKey(prefix)
			require.NoError(t, err)
			require.True(t, strings.HasPrefix(k, prefix))
			require.Len(t, k, len(prefix)+43)
			require.False(t, seen[k], "keys are random")
			seen[k] = true
			for _, c := range []string{"ak_", "mt_", "oat_"} {
				require.False(t, strings.HasPrefix(k, c), "%q would be sent to Clerk", k)
			}
			require.NotContains(t, k, ".")

			// The round trip the configuration relies on.
			s, err := machine.NewStaticKeys(machine.ServiceAccount{Name: "svc", KeyHash: machine.HashAPIKey(k)})
			require.NoError(t, err)
			p, err := s.VerifyMachineToken(context.Background(), k)
			require.NoError(t, err)
			require.Equal(t, clerkauth.KindServiceAccount, p.Kind)
		}
	}

	for _, prefix := range []string{"ak_", "mt_", "oat_", "ak_live_", "a.b", ".", "svc key", "svc/", "é", strings.Repeat("p", 33)} {
		t.Run(prefix, func(t *testing.T) {
			k, err := machine.GenerateAPIKey(prefix)
			require.ErrorIs(t, err, clerkauth.ErrInvalidConfig)
			assert.Empty(t, k)
		})
	}
}

func TestStaticKeysInAChain(t *testing.T) {
	key := staticTestKey(t, "svc_")
	s, err := machine.NewStaticKeys(machine.ServiceAccount{Name: "billing", KeyHash: machine.HashAPIKey(key)})
	require.NoError(t, err)
	var asked []string
	clerkLike := staticTestVerifierFunc(func(_ context.Context, token string) (*clerkauth.Principal, error) {
		asked = append(asked, token)
		if !strings.HasPrefix(token, "ak_") {
			return nil, clerkauth.ErrTokenType
		}
		return &clerkauth.Principal{Kind: clerkauth.KindAPIKey, ID: "ak_1"}, nil
	})
	chain := machine.Chain(s, clerkLike)

	p, err := chain.VerifyMachineToken(context.Background(), key)
	require.NoError(t, err)
	assert.Equal(t, "billing", p.Subject)
	assert.Empty(t, asked, "the static keys answered")

	p, err = chain.VerifyMachineToken(context.Background(), "ak_abc")
	require.NoError(t, err)
	assert.Equal(t, clerkauth.KindAPIKey, p.Kind, "a Clerk key goes past the static keys")

	_, err = chain.VerifyMachineToken(context.Background(), "svc_unknown")
	require.ErrorIs(t, err, clerkauth.ErrMachineTokenInvalid, "an unknown service key stops at the static keys")
	assert.Equal(t, []string{"ak_abc"}, asked)
}

type staticTestVerifierFunc func(ctx context.Context, token string) (*clerkauth.Principal, error)

func (f staticTestVerifierFunc) VerifyMachineToken(ctx context.Context, token string) (*clerkauth.Principal, error) {
	return f(ctx, token)
}

func FuzzStaticKeys(f *testing.F) {
	keys := []string{"svc_4q8Jb1n0Lw2c9VtXkZr5yP3mA7sD6fG1hJ0kL9zX8cV", "plain-key", "k"}
	accounts := make([]machine.ServiceAccount, len(keys))
	for i, k := range keys {
		accounts[i] = machine.ServiceAccount{Name: fmt.Sprint("acct", i), KeyHash: machine.HashAPIKey(k), Scopes: []string{"s"}}
		f.Add(k)
	}
	for _, s := range []string{"", "ak_x", "mt_", "oat_abc", "a.b.c", "..", "a.b", "svc_", "plain-key\x00",
		strings.Repeat("x", machine.MaxServiceAccountKeyBytes+1), "\xff\xfe", "Plain-key"} {
		f.Add(s)
	}
	s, err := machine.NewStaticKeys(accounts...)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, token string) {
		p, err := s.VerifyMachineToken(context.Background(), token)
		clerkForm := strings.HasPrefix(token, "ak_") || strings.HasPrefix(token, "mt_") ||
			strings.HasPrefix(token, "oat_") || strings.Count(token, ".") == 2
		match := -1
		for i, k := range keys {
			if k == token {
				match = i
			}
		}
		switch {
		case clerkForm:
			if !errors.Is(err, clerkauth.ErrTokenType) || p != nil {
				t.Fatalf("%q: %v, want ErrTokenType", token, err)
			}
		case match >= 0:
			if err != nil || p.ID != fmt.Sprint("acct", match) || p.Kind != clerkauth.KindServiceAccount {
				t.Fatalf("%q: %+v, %v", token, p, err)
			}
		default:
			if !errors.Is(err, clerkauth.ErrMachineTokenInvalid) || p != nil {
				t.Fatalf("%q: %v, want ErrMachineTokenInvalid", token, err)
			}
		}
	})
}
