package clerkauth_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/orgctx"
)

func TestV1AndV2GiveTheSameSession(t *testing.T) {
	f := newFixture(t, nil)
	perms := []string{"org:posts:read", "org:posts:write", "org:billing:read"}
	build := func(v1 bool) *clerkauth.Session {
		b := f.iss.Token().User("user_1").Session("sess_1").AuthorizedParty(testOrigin).
			Org("org_1", "acme", "admin", perms...).Claim("jti", "j1")
		if v1 {
			b = b.V1()
		}
		s, err := f.verify(t, b.Sign())
		require.NoError(t, err)
		return s
	}
	v1, v2 := build(true), build(false)
	require.Equal(t, 1, v1.Version)
	require.Equal(t, 2, v2.Version)
	want := orgctx.Org{ID: "org_1", Slug: "acme", Role: "org:admin", Permissions: perms}
	require.Equal(t, want, v1.Org)
	require.Equal(t, want, v2.Org)

	// Apart from what only v2 carries (its version and its fea list), the two are equal.
	v2.Version, v2.Features = v1.Version, v1.Features
	v1.KeyID, v2.KeyID = "", ""
	require.Equal(t, clerkauth.RawClaimsless(v1), clerkauth.RawClaimsless(v2))
}

func TestPermissionsDecodeAsClerkDocuments(t *testing.T) {
	f := newFixture(t, nil)
	// Clerk's documented example: fea "o:repositories,o:projects", per "read,manage",
	// fpm "1,2" grants org:repositories:read and org:projects:manage.
	tok := f.iss.Token().Claim("fea", "o:repositories,o:projects").
		Claim("o", map[string]any{"id": "org_1", "slg": "acme", "rol": "admin", "per": "read,manage", "fpm": "1,2"}).Sign()
	s, err := f.verify(t, tok)
	require.NoError(t, err)
	require.Equal(t, []string{"org:repositories:read", "org:projects:manage"}, s.Org.Permissions)

	for name, tc := range map[string]struct {
		fea, per, fpm string
		want          []string
	}{
		"docs example 3,2":             {"o:dashboard,o:impersonation", "read,manage", "3,2", []string{"org:dashboard:read", "org:dashboard:manage", "org:impersonation:manage"}},
		"user features are skipped":    {"u:beta,o:posts,u:other,o:billing", "read,write", "1,2", []string{"org:posts:read", "org:billing:write"}},
		"uo features count for orgs":   {"uo:export", "run", "1", []string{"org:export:run"}},
		"zero mask":                    {"o:posts", "read", "0", nil},
		"no per":                       {"o:posts", "", "1", nil},
		"no fpm":                       {"o:posts", "read", "", nil},
		"more masks than features":     {"o:posts", "read", "1,1,1", []string{"org:posts:read"}},
		"fewer masks than features":    {"o:a,o:b", "read", "1", []string{"org:a:read"}},
		"bits beyond the names":        {"o:posts", "read", "7", []string{"org:posts:read"}},
		"garbage mask":                 {"o:a,o:b", "read", "x,1", []string{"org:b:read"}},
		"spaces are trimmed":           {" o:a , o:b ", " read , write ", " 2 , 1 ", []string{"org:a:write", "org:b:read"}},
		"feature without a scope":      {"posts,o:b", "read", "1", []string{"org:b:read"}},
		"negative mask grants nothing": {"o:a", "read", "-1", nil},
	} {
		t.Run(name, func(t *testing.T) {
			tok := f.iss.Token().Claim("fea", tc.fea).
				Claim("o", map[string]any{"id": "org_1", "slg": "acme", "rol": "member", "per": tc.per, "fpm": tc.fpm}).Sign()
			s, err := f.verify(t, tok)
			require.NoError(t, err)
			require.Equal(t, tc.want, s.Org.Permissions)
			require.Equal(t, "org:member", s.Org.Role)
		})
	}
}

func TestNoActiveOrganization(t *testing.T) {
	f := newFixture(t, nil)
	for name, tok := range map[string]string{
		"v2 without o":             f.iss.Token().Sign(),
		"v2 o null":                f.iss.Token().Claim("o", nil).Sign(),
		"v2 o no id":               f.iss.Token().Claim("o", map[string]any{"slg": "x"}).Sign(),
		"v1 no org":                f.iss.Token().V1().Sign(),
		"v2 ignores v1 org claims": f.iss.Token().Claim("org_id", "org_1").Claim("org_role", "org:admin").Sign(),
	} {
		s, err := f.verify(t, tok)
		require.NoError(t, err, name)
		require.False(t, s.Org.Active(), name)
		require.Equal(t, orgctx.Org{}, s.Org, name)
		require.False(t, s.HasRole("admin"), name)
	}
}

func TestSessionFields(t *testing.T) {
	f := newFixture(t, func(c *clerkauth.Config) { c.AllowPending = true })
	tok := f.iss.Token().User("user_1").Session("sess_1").AuthorizedParty(testOrigin).
		Org("org_1", "acme", "org:admin", "org:posts:read").Features("u:beta").Plan("u:free,o:pro").
		Actor("user_admin", "sess_admin").FactorAge(3, -1).Pending().Claim("jti", "jti_1").Sign()
	s, err := f.verify(t, tok)
	require.NoError(t, err)
	require.Equal(t, "user_1", s.UserID)
	require.Equal(t, "sess_1", s.SessionID)
	require.Equal(t, f.iss.Issuer(), s.Issuer)
	require.Equal(t, testOrigin, s.AuthorizedParty)
	require.Equal(t, "jti_1", s.TokenID)
	require.Equal(t, testNow, s.IssuedAt)
	require.Equal(t, testNow.Add(-10*time.Second), s.NotBefore)
	require.Equal(t, testNow.Add(time.Minute), s.ExpiresAt)
	require.Equal(t, clerkauth.StatusPending, s.Status)
	require.True(t, s.Pending())
	require.Equal(t, f.iss.KeyID(), s.KeyID)
	require.Equal(t, &clerkauth.Actor{Subject: "user_admin", SessionID: "sess_admin", Issuer: f.iss.Issuer()}, s.Actor)
	require.True(t, s.Impersonated())
	require.Equal(t, clerkauth.FactorAge{First: 3, Second: -1}, s.FactorVerificationAge)
	require.Equal(t, []string{"o:posts", "u:beta"}, s.Features)
	require.True(t, s.HasFeature("posts"))
	require.True(t, s.HasFeature("o:posts"))
	require.False(t, s.HasFeature("u:posts"))
	require.True(t, s.HasFeature("u:beta"))
	require.False(t, s.HasFeature("o:beta"))
	require.True(t, s.HasPlan("o:pro"))
	require.False(t, s.HasPlan("o:free"))
	require.True(t, s.HasRole("admin"))
	require.True(t, s.HasRole("org:admin"))
	require.False(t, s.HasRole("member"))
	require.True(t, s.HasPermission("org:posts:read"))
	require.False(t, s.HasPermission("org:posts:write"))

	s2, err := f.verify(t, f.iss.Token().Without("fva", "iat", "nbf").Sign())
	require.NoError(t, err)
	require.Equal(t, clerkauth.FactorAge{First: -1, Second: -1}, s2.FactorVerificationAge, "no fva: never verified")
	require.True(t, s2.IssuedAt.IsZero())
	require.Nil(t, s2.Actor)
	require.Equal(t, clerkauth.StatusActive, s2.Status)
}

func TestCustomClaims(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.iss.Token().Claim("email", "ada@example.com").Claim("meta", map[string]any{"plan": "gold", "seats": 3}).Sign()
	s, err := f.verify(t, tok)
	require.NoError(t, err)
	type custom struct {
		Email string `json:"email"`
		Meta  struct {
			Plan  string `json:"plan"`
			Seats int    `json:"seats"`
		} `json:"meta"`
		Sub string `json:"sub"`
	}
	c, err := clerkauth.Claims[custom](s)
	require.NoError(t, err)
	require.Equal(t, "ada@example.com", c.Email)
	require.Equal(t, "gold", c.Meta.Plan)
	require.Equal(t, 3, c.Meta.Seats)
	require.Equal(t, s.UserID, c.Sub)

	m, err := clerkauth.Claims[map[string]any](s)
	require.NoError(t, err)
	require.Equal(t, "ada@example.com", m["email"])

	_, err = clerkauth.Claims[struct{ Email int }](s)
	require.Error(t, err, "a claim of another type")
	_, err = clerkauth.Claims[custom](nil)
	require.ErrorIs(t, err, clerkauth.ErrTokenMissing)

	raw := s.RawClaims()
	raw[0] = 'X'
	require.Equal(t, byte('{'), s.RawClaims()[0], "RawClaims returns a copy")
}

func TestReverification(t *testing.T) {
	for name, tc := range map[string]struct {
		first, second int
		needs         map[clerkauth.ReverificationPolicy]bool
	}{
		"fresh, no second factor": {first: 5, second: -1, needs: map[clerkauth.ReverificationPolicy]bool{
			clerkauth.ReverificationStrictMFA: false, clerkauth.ReverificationStrict: false,
			clerkauth.ReverificationModerate: false, clerkauth.ReverificationLax: false}},
		"first 30 min ago, no second": {first: 30, second: -1, needs: map[clerkauth.ReverificationPolicy]bool{
			clerkauth.ReverificationStrictMFA: true, clerkauth.ReverificationStrict: true,
			clerkauth.ReverificationModerate: false, clerkauth.ReverificationLax: false}},
		"second fresh, first old": {first: 100, second: 2, needs: map[clerkauth.ReverificationPolicy]bool{
			clerkauth.ReverificationStrictMFA: true, clerkauth.ReverificationStrict: false,
			clerkauth.ReverificationModerate: false, clerkauth.ReverificationLax: false}},
		"both fresh": {first: 1, second: 1, needs: map[clerkauth.ReverificationPolicy]bool{
			clerkauth.ReverificationStrictMFA: false, clerkauth.ReverificationStrict: false}},
		"exactly at the bound": {first: 10, second: 10, needs: map[clerkauth.ReverificationPolicy]bool{
			clerkauth.ReverificationStrict: true, clerkauth.ReverificationModerate: false}},
		"a day ago": {first: 1440, second: 1439, needs: map[clerkauth.ReverificationPolicy]bool{
			clerkauth.ReverificationLax: false, clerkauth.ReverificationStrictMFA: true}},
		"never verified": {first: -1, second: -1, needs: map[clerkauth.ReverificationPolicy]bool{
			clerkauth.ReverificationLax: true, clerkauth.ReverificationStrictMFA: true}},
		"unknown policy": {first: 0, second: 0, needs: map[clerkauth.ReverificationPolicy]bool{"paranoid": true, "": true}},
	} {
		s := &clerkauth.Session{FactorVerificationAge: clerkauth.FactorAge{First: tc.first, Second: tc.second}}
		for p, want := range tc.needs {
			require.Equal(t, want, s.NeedsReverification(p), "%s / %s", name, p)
		}
	}
}

func TestRequireReverification(t *testing.T) {
	f := newFixture(t, nil)
	h := f.v.Middleware()(clerkauth.RequireReverification(clerkauth.ReverificationStrict)(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })))
	run := func(tok string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, bearer(tok))
		return rec
	}
	rec := run(f.iss.Token().FactorAge(3, -1).Sign())
	require.Equal(t, http.StatusNoContent, rec.Code)
	rec = run(f.iss.Token().FactorAge(30, 20).Sign())
	require.Equal(t, http.StatusForbidden, rec.Code)
	require.JSONEq(t, `{"clerk_error":{"type":"forbidden","reason":"reverification-error",
		"metadata":{"reverification":{"level":"second_factor","afterMinutes":10}}}}`, rec.Body.String())

	// Without the middleware in front there is no session: 401.
	rec = httptest.NewRecorder()
	clerkauth.RequireReverification(clerkauth.ReverificationLax)(http.NotFoundHandler()).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	require.Equal(t, http.StatusUnauthorized, rec.Code)
}

func TestLeewayEdges(t *testing.T) {
	for _, leeway := range []time.Duration{0, time.Second, 5 * time.Second, 30 * time.Second} {
		f := newFixture(t, func(c *clerkauth.Config) {
			if leeway == 0 {
				c.ExactTime = true
			} else {
				c.Leeway = leeway
			}
		})
		at := func(d time.Duration) time.Time { return testNow.Add(d) }
		// exp: valid while now < exp + leeway.
		_, err := f.verify(t, f.iss.Token().ExpiresAt(at(-leeway+time.Second)).Sign())
		require.NoError(t, err, "exp 1 s inside the leeway (%v)", leeway)
		_, err = f.verify(t, f.iss.Token().ExpiresAt(at(-leeway)).Sign())
		require.ErrorIs(t, err, clerkauth.ErrTokenExpired, "exp exactly at the leeway (%v)", leeway)
		_, err = f.verify(t, f.iss.Token().ExpiresAt(at(-leeway-time.Second)).Sign())
		require.ErrorIs(t, err, clerkauth.ErrTokenExpired, "exp 1 s beyond the leeway (%v)", leeway)
		// nbf: valid once nbf <= now + leeway.
		_, err = f.verify(t, f.iss.Token().NotBefore(at(leeway)).Sign())
		require.NoError(t, err, "nbf exactly at the leeway (%v)", leeway)
		_, err = f.verify(t, f.iss.Token().NotBefore(at(leeway+time.Second)).Sign())
		require.ErrorIs(t, err, clerkauth.ErrTokenNotYetValid, "nbf 1 s beyond the leeway (%v)", leeway)
		// iat: the same rule.
		_, err = f.verify(t, f.iss.Token().IssuedAt(at(leeway-time.Second)).NotBefore(testNow).Sign())
		require.NoError(t, err, "iat 1 s inside the leeway (%v)", leeway)
		_, err = f.verify(t, f.iss.Token().IssuedAt(at(leeway+time.Second)).NotBefore(testNow).Sign())
		require.ErrorIs(t, err, clerkauth.ErrTokenNotYetValid, "iat 1 s beyond the leeway (%v)", leeway)
	}
}

func TestSessionFromContext(t *testing.T) {
	_, ok := clerkauth.SessionFromContext(t.Context())
	require.False(t, ok)
	s := &clerkauth.Session{UserID: "user_1"}
	got, ok := clerkauth.SessionFromContext(clerkauth.NewContext(t.Context(), s))
	require.True(t, ok)
	require.Same(t, s, got)
	_, ok = clerkauth.SessionFromContext(clerkauth.NewContext(t.Context(), nil))
	require.False(t, ok)
}
