package app

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/jwks"
)

// newTestDevClerk returns a fake Clerk and a verifier of its tokens.
func newTestDevClerk(t *testing.T, parties ...string) (*devClerk, *clerkauth.Verifier) {
	t.Helper()
	d := newDevClerk(nil, parties)
	t.Cleanup(d.Close)
	keys, err := jwks.ParsePEM(d.issuer.PEM())
	require.NoError(t, err)
	v, err := clerkauth.NewVerifier(clerkauth.Config{Keys: keys, Issuer: d.issuer.Issuer(), AuthorizedParties: parties})
	require.NoError(t, err)
	return d, v
}

func TestDevMint(t *testing.T) {
	d, v := newTestDevClerk(t, "http://localhost:3000")
	now := time.Now()

	tok, resp, err := d.mint(devTokenRequest{}, now)
	require.NoError(t, err)
	s, err := v.Verify(context.Background(), tok)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(s.UserID, "user_"))
	assert.True(t, strings.HasPrefix(s.SessionID, "sess_"))
	assert.Equal(t, resp.UserID, s.UserID)
	assert.Equal(t, resp.SessionID, s.SessionID)
	assert.Equal(t, "http://localhost:3000", s.AuthorizedParty, "the first authorized party by default")
	assert.False(t, s.Org.Active())
	assert.WithinDuration(t, now.Add(time.Hour), s.ExpiresAt, time.Second)
	assert.Equal(t, now.Add(time.Hour).UTC().Format(time.RFC3339), resp.ExpiresAt)

	tok, _, err = d.mint(devTokenRequest{
		UserID: "user_alice", SessionID: "sess_1", Email: "alice@example.com", FirstName: "Alice", LastName: "L",
		OrgID: "org_acme", Role: "admin", Permissions: []string{"org:members:manage", "org:billing:read"},
		LifetimeSeconds: 120, AuthorizedParty: "http://localhost:3000",
	}, now)
	require.NoError(t, err)
	s, err = v.Verify(context.Background(), tok)
	require.NoError(t, err)
	assert.Equal(t, "user_alice", s.UserID)
	assert.Equal(t, "sess_1", s.SessionID)
	assert.Equal(t, "org_acme", s.Org.ID)
	assert.Equal(t, "org_acme", s.Org.Slug, "the slug defaults to the id")
	assert.Equal(t, "org:admin", s.Org.Role)
	assert.ElementsMatch(t, []string{"org:members:manage", "org:billing:read"}, s.Org.Permissions)
	assert.WithinDuration(t, now.Add(2*time.Minute), s.ExpiresAt, time.Second)
	claims, err := clerkauth.Claims[map[string]any](s)
	require.NoError(t, err)
	assert.Equal(t, "alice@example.com", claims["email"])
	assert.Equal(t, "Alice", claims["first_name"])

	tok, _, err = d.mint(devTokenRequest{OrgID: "org_1"}, now)
	require.NoError(t, err)
	s, err = v.Verify(context.Background(), tok)
	require.NoError(t, err)
	assert.Equal(t, "org:member", s.Org.Role, "member by default")

	for name, req := range map[string]devTokenRequest{
		"user id with a space":      {UserID: "user alice"},
		"machine user id":           {UserID: "mch_1"},
		"long session id":           {SessionID: strings.Repeat("s", 65)},
		"org id with a slash":       {OrgID: "org/1"},
		"role without org":          {Role: "org:admin"},
		"permissions without org":   {Permissions: []string{"org:a:b"}},
		"slug without org":          {OrgSlug: "acme"},
		"permission without org:":   {OrgID: "org_1", Permissions: []string{"members:manage"}},
		"permission without name":   {OrgID: "org_1", Permissions: []string{"org:members"}},
		"permission empty feature":  {OrgID: "org_1", Permissions: []string{"org::x"}},
		"too many permissions":      {OrgID: "org_1", Permissions: strings.Split(strings.Repeat("org:a:b,", 33)[:8*33-1], ",")},
		"role with a space":         {OrgID: "org_1", Role: "org:super admin"},
		"negative lifetime":         {LifetimeSeconds: -1},
		"lifetime over a day":       {LifetimeSeconds: 86401},
		"azp that is not an origin": {AuthorizedParty: "localhost:3000"},
	} {
		_, _, err := d.mint(req, now)
		assert.Error(t, err, name)
	}
}

// The webhook secret: generated (and shown in the banner) unless configured (never shown).
func TestDevSecret(t *testing.T) {
	d := newDevClerk(nil, nil)
	defer d.Close()
	assert.True(t, d.secretGenerated)
	assert.True(t, strings.HasPrefix(d.secret, "whsec_"))
	var buf bytes.Buffer
	require.NoError(t, d.banner(&buf, "http://127.0.0.1:8000", "sqlite:authkit.db"))
	assert.Contains(t, buf.String(), d.secret)
	assert.Contains(t, buf.String(), `curl -s -H "Authorization: Bearer ey`)
	assert.Contains(t, buf.String(), "http://127.0.0.1:8000/api/auth_core/me/")
	assert.Contains(t, buf.String(), "console         http://127.0.0.1:8000/ ", "the banner names the console")

	configured := "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYqr"
	d2 := newDevClerk([]string{configured}, nil)
	defer d2.Close()
	assert.False(t, d2.secretGenerated)
	assert.Equal(t, "whsec_"+configured, d2.secret)
	buf.Reset()
	require.NoError(t, d2.banner(&buf, "http://127.0.0.1:8000", "sqlite:authkit.db"))
	assert.NotContains(t, buf.String(), configured)
}

// FuzzDevMint: whatever a developer posts, minting answers a token or an error, never a
// panic (clerkauthtest panics on malformed permissions), and a minted token verifies.
func FuzzDevMint(f *testing.F) {
	f.Add("user_1", "sess_1", "org_1", "acme", "admin", "org:members:manage", 60)
	f.Add("", "", "", "", "", "", 0)
	f.Add("user_1", "", "org_1", "", "org:", "org::", -5)
	f.Add("mch_1", "s", "o", "s", "org:org:admin", "org:a:b:c", 86400)
	f.Add("ü", "\x00", "org_1", "a b", "", "org:a:", 1<<40)
	d := newDevClerk(nil, nil)
	defer d.Close()
	keys, err := jwks.ParsePEM(d.issuer.PEM())
	if err != nil {
		f.Fatal(err)
	}
	v, err := clerkauth.NewVerifier(clerkauth.Config{Keys: keys, Issuer: d.issuer.Issuer(), DisableTokenCache: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, user, session, org, slug, role, perm string, life int) {
		req := devTokenRequest{UserID: user, SessionID: session, OrgID: org, OrgSlug: slug, Role: role, LifetimeSeconds: life}
		if perm != "" {
			req.Permissions = []string{perm}
		}
		tok, _, err := d.mint(req, time.Now())
		if err != nil {
			return
		}
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Fatalf("a minted token does not verify: %v (%+v)", err, req)
		}
	})
}
