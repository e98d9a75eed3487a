package clerkauthtest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/jwks"
)

func ExampleNewIssuer() {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()

	// Point the code under test at the fake instance, over the network...
	fmt.Println(strings.HasSuffix(iss.JWKSURL(), "/.well-known/jwks.json"))
	// ...or without one.
	keys, err := jwks.ParsePEM(iss.PEM())
	if err != nil {
		fmt.Println(err)
		return
	}
	token, err := jwt.Parse(iss.Token().User("user_123").Sign(), keys.Keyfunc, jwt.WithValidMethods([]string{"RS256"}))
	fmt.Println(token.Valid, err)
	// Output:
	// true
	// true <nil>
}

func ExampleIssuer_Token() {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()

	// A v2 token with an active organization, its permissions encoded as Clerk does.
	token := iss.Token().
		User("user_123").
		Session("sess_456").
		AuthorizedParty("https://app.example.com").
		Org("org_789", "acme", "admin", "org:posts:read", "org:posts:write").
		Sign()
	claims := jwt.MapClaims{}
	_, _, _ = jwt.NewParser().ParseUnverified(token, claims)
	fmt.Println(claims["sub"], claims["sid"], claims["fea"], claims["o"])

	// The same organization in a v1 token.
	_, _, _ = jwt.NewParser().ParseUnverified(iss.Token().V1().Org("org_789", "acme", "admin").Sign(), claims)
	fmt.Println(claims["org_role"])
	// Output:
	// user_123 sess_456 o:posts map[fpm:3 id:org_789 per:read,write rol:admin slg:acme]
	// org:admin
}

func ExampleTokenBuilder_brokenVariants() {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	attacker := clerkauthtest.NewKey()

	// Tokens a verifier must refuse, one per kind of attack.
	forged := []string{
		iss.Token().SignWith(attacker.Private).Sign(),                                   // another key, the instance's kid
		iss.Token().Unsigned(),                                                          // alg none
		iss.Token().SignHS256([]byte(iss.PEM())),                                        // HS256 keyed with the public key
		iss.Token().Without("exp").Sign(),                                               // no expiry
		iss.Token().ExpiresAt(time.Now().Add(-time.Minute)).Sign(),                      // expired
		iss.Token().Header("crit", []string{"exp"}).Sign(),                              // unknown critical header
		iss.Token().Category(clerkauthtest.CategoryTemplate).Without("sid").Sign(),      // a JWT-template token
		iss.Token().IssuerClaim("https://clerk.evil.example").Sign(),                    // another instance's iss
		iss.Token().Pending().Sign(),                                                    // a pending session
		iss.SignRaw([]byte(`{"alg":"RS256","kid":"`+iss.KeyID()+`"}`), []byte(`["x"]`)), // a payload that is not an object
	}
	fmt.Println(len(forged))
	// Output: 10
}

func ExampleWebhookSigner() {
	secret := clerkauthtest.NewWebhookSecret() // give the same secret to the webhook verifier
	signer := clerkauthtest.NewWebhookSigner(secret)

	body := []byte(`{"type":"user.created","object":"event","data":{"id":"user_123"}}`)
	req := signer.Request("/api/auth_core/webhooks/clerk/", "", body)

	rec := httptest.NewRecorder()
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A real handler verifies r.Header against the secret (package webhook).
		fmt.Println(r.Header.Get("svix-id") != "", strings.HasPrefix(r.Header.Get("svix-signature"), "v1,"))
	})
	handler.ServeHTTP(rec, req)

	// A fixed message, as Svix's published test vector.
	h := clerkauthtest.NewWebhookSigner("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").
		Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	fmt.Println(h.Get("svix-signature"))
	// Output:
	// true true
	// v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
}

func ExampleIssuer_Rotate() {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	get := func() int {
		resp, err := http.Get(iss.JWKSURL())
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	old := iss.KeyID()
	iss.Rotate()    // a new signing key; the old one is still served
	iss.Retire(old) // now it is not
	extra := iss.AddKey()
	keys, _ := jwks.ParseJSON(iss.JWKS())
	fmt.Println(len(keys.KeyIDs()), keys.KeyIDs()[1] == extra.ID)

	iss.SetDown(true) // the JWKS endpoints answer 500
	fmt.Println(get())
	iss.SetDown(false)
	iss.SetRawResponse(http.StatusOK, []byte("not json")) // anything, verbatim
	fmt.Println(get())
	iss.SetRawResponse(0, nil)
	fmt.Println(iss.Hits())
	iss.ResetHits()
	fmt.Println(iss.Hits())
	// Output:
	// 2 true
	// 500
	// 200
	// 2
	// 0
}

func ExampleNewUnstartedIssuer() {
	iss := clerkauthtest.NewUnstartedIssuer()
	iss.StartTLS() // https, as a real Clerk instance
	defer iss.Close()

	// The Backend API's key set wants the instance's secret key.
	req, _ := http.NewRequest(http.MethodGet, iss.BackendJWKSURL(), nil)
	req.Header.Set("Authorization", "Bearer "+iss.SecretKey())
	resp, err := iss.Client().Do(req) // a client that trusts the test certificate
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(strings.HasPrefix(iss.URL(), "https://"), resp.StatusCode)
	// Output: true 200
}

func ExampleIssuer_SetClock() {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	iss.SetClock(func() time.Time { return time.Unix(1_800_000_000, 0) })

	claims := jwt.MapClaims{}
	_, _, _ = jwt.NewParser().ParseUnverified(iss.Token().Sign(), claims)
	fmt.Println(claims["nbf"], claims["iat"], claims["exp"])
	// Output: 1.79999999e+09 1.8e+09 1.80000006e+09
}

func ExampleEncodePermissions() {
	fea, per, fpm := clerkauthtest.EncodePermissions([]string{"org:repositories:read", "org:projects:manage"})
	fmt.Println(fea, per, fpm)
	// Output: [o:repositories o:projects] [read manage] 1,2
}

func ExampleNewKey() {
	k := clerkauthtest.NewKey() // 2048-bit RSA with a Clerk-like kid
	fmt.Println(strings.HasPrefix(k.ID, "ins_"), k.Private.N.BitLen())

	pem := clerkauthtest.PublicKeyPEM(&k.Private.PublicKey)
	fmt.Println(strings.HasPrefix(pem, "-----BEGIN PUBLIC KEY-----"))

	doc := clerkauthtest.JWKSDocument(k)
	keys, err := jwks.ParseJSON(doc)
	fmt.Println(err == nil && keys.KeyIDs()[0] == k.ID)

	fmt.Println(len(clerkauthtest.NewID("org_")))
	// Output:
	// true 2048
	// true
	// true
	// 31
}

func ExampleClock() {
	clock := clerkauthtest.NewClock(time.Unix(1_800_000_000, 0))
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	iss.SetClock(clock.Now) // tokens are issued at the clock's time

	keys, _ := jwks.ParsePEM(iss.PEM())
	token := iss.Token().Sign() // valid for 60 s
	parse := func() error {
		_, err := jwt.Parse(token, keys.Keyfunc, jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(clock.Now))
		return err
	}
	fmt.Println(parse() == nil)
	clock.Advance(2 * time.Minute)
	fmt.Println(parse() == nil)
	clock.Set(time.Unix(1_800_000_000, 0))
	fmt.Println(parse() == nil)
	// Output:
	// true
	// false
	// true
}

func ExampleTokenBuilder_presets() {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	at := time.Unix(1_800_000_000, 0)

	b := iss.Token().
		V2().                              // the default claims version
		IssuedAt(at).                      // iat; nbf and exp follow from it...
		Lifetime(5*time.Minute).           // ...exp = iat + 5 min
		NotBefore(at.Add(-time.Second)).   // or set nbf explicitly
		Actor("user_admin", "sess_admin"). // impersonation (act)
		FactorAge(2, -1).                  // fva: first factor 2 min ago, no second factor
		Features("u:beta").                // fea
		Plan("u:pro").                     // pla
		Claim("email", "ada@example.com"). // any custom claim
		Algorithm("RS256").                // alg (RS384/RS512 sign accordingly)
		WithoutHeader("typ")               // drop a header parameter
	claims := b.Claims()
	fmt.Println(claims["exp"], claims["nbf"], claims["fea"], claims["pla"], claims["email"])
	fmt.Println(claims["act"].(map[string]any)["sub"], claims["fva"])

	token := b.Sign()
	keys, _ := jwks.ParseJSON(iss.JWKS())
	_, err := jwt.Parse(token, keys.Keyfunc, jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithTimeFunc(func() time.Time { return at }))
	fmt.Println(err)
	fmt.Println(iss.SigningKey().ID == iss.KeyID())
	// Output:
	// 1800000300 1799999999 u:beta u:pro ada@example.com
	// user_admin [2 -1]
	// <nil>
	// true
}

func ExampleIssuer_Handler() {
	// An issuer whose JWKS endpoints are mounted on a server of your own (a development
	// server, say); Start serves them on the issuer's own httptest server too.
	iss := clerkauthtest.NewUnstartedIssuer()
	iss.Start()
	defer iss.Close()

	mux := http.NewServeMux()
	mux.Handle("/clerk/", http.StripPrefix("/clerk", iss.Handler()))
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/clerk"+clerkauthtest.FrontendJWKSPath, nil))
	fmt.Println(rec.Code, strings.Contains(rec.Body.String(), iss.KeyID()))
	// Output: 200 true
}

func ExampleWebhookSigner_Headers() {
	signer := clerkauthtest.NewWebhookSigner(clerkauthtest.NewWebhookSecret())
	signer.Now = func() time.Time { return time.Unix(1_800_000_000, 0) }
	h := signer.Headers([]byte(`{"type":"user.deleted","data":{"id":"user_1"}}`)) // a fresh message id
	fmt.Println(strings.HasPrefix(h.Get("svix-id"), "msg_"), h.Get("svix-timestamp"), strings.HasPrefix(h.Get("svix-signature"), "v1,"))
	// Output: true 1800000000 true
}
