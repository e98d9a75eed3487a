package app

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/jwks"
)

// devGuardCase is one request to the dev endpoints: the defaults (a loopback peer, Host
// 127.0.0.1:8000, Content-Type application/json, no Origin) changed by the fields set.
type devGuardCase struct {
	name     string
	peer     string      // RemoteAddr; default "127.0.0.1:50000"
	host     string      // Host; default "127.0.0.1:8000"; "-" for none
	header   http.Header // added to (or, for Content-Type, replacing) the defaults
	noType   bool        // no Content-Type at all
	postOnly bool        // about POST bodies: GET /dev/jwks.json is not concerned
	status   int         // 0: accepted
	detail   string      // in the refusal's detail
}

// The dev endpoints refuse whatever did not come straight from a developer on this
// machine: CSRF from a browser page, DNS rebinding, a reverse proxy on the same host.
func TestDevGuard(t *testing.T) {
	const (
		peerDetail      = "loopback clients only"
		forwardedDetail = "refuse forwarded requests"
		hostDetail      = "(Host)"
		originDetail    = "(Origin)"
		typeDetail      = "Content-Type: application/json"
	)
	h := func(kv ...string) http.Header {
		hdr := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			hdr.Add(kv[i], kv[i+1])
		}
		return hdr
	}
	cases := []devGuardCase{
		// Accepted: a developer's curl, or a page served from this machine.
		{name: "curl to 127.0.0.1"},
		{name: "curl to localhost", host: "localhost:8000"},
		{name: "localhost in upper case", host: "LOCALHOST:8000"},
		{name: "localhost without a port", host: "localhost"},
		{name: "another 127/8 address", host: "127.0.0.2:8000", peer: "127.0.0.2:50000"},
		{name: "IPv6 loopback", host: "[::1]:8000", peer: "[::1]:50000"},
		{name: "IPv6 loopback without a port", host: "[::1]"},
		{name: "IPv4-mapped loopback", host: "[::ffff:127.0.0.1]:8000"},
		{name: "local frontend origin", header: h("Origin", "http://localhost:3000")},
		{name: "local origin by address", header: h("Origin", "http://127.0.0.1:8000")},
		{name: "local IPv6 origin", header: h("Origin", "http://[::1]:5173")},
		{name: "local https origin", header: h("Origin", "https://localhost:3000")},
		{name: "local origin without a port", header: h("Origin", "http://localhost")},
		{name: "JSON with a charset", header: h("Content-Type", "application/json; charset=utf-8")},
		{name: "JSON in upper case", header: h("Content-Type", "Application/JSON")},
		{name: "an unrelated header", header: h("X-Request-Id", "abc")},

		// The TCP peer (the behaviour before the other checks).
		{name: "remote IPv4 peer", peer: "192.0.2.10:40000", status: 403, detail: peerDetail},
		{name: "remote IPv6 peer", peer: "[2001:db8::1]:40000", status: 403, detail: peerDetail},
		{name: "unspecified peer", peer: "0.0.0.0:40000", status: 403, detail: peerDetail},
		{name: "peer that is no address", peer: "localhost:40000", status: 403, detail: peerDetail},

		// A reverse proxy on this machine makes every client look local.
		{name: "X-Forwarded-For", header: h("X-Forwarded-For", "203.0.113.7"), status: 403, detail: forwardedDetail},
		{name: "X-Forwarded-For of loopback", header: h("X-Forwarded-For", "127.0.0.1"), status: 403, detail: forwardedDetail},
		{name: "empty X-Forwarded-For", header: h("X-Forwarded-For", ""), status: 403, detail: forwardedDetail},
		{name: "Forwarded", header: h("Forwarded", "for=203.0.113.7;proto=https"), status: 403, detail: forwardedDetail},
		{name: "X-Forwarded-Host", header: h("X-Forwarded-Host", "localhost"), status: 403, detail: forwardedDetail},
		{name: "X-Forwarded-Proto", header: h("X-Forwarded-Proto", "https"), status: 403, detail: forwardedDetail},
		{name: "X-Forwarded-Port", header: h("X-Forwarded-Port", "443"), status: 403, detail: forwardedDetail},
		{name: "X-Real-IP", header: h("X-Real-IP", "203.0.113.7"), status: 403, detail: forwardedDetail},
		{name: "X-Client-IP", header: h("X-Client-IP", "203.0.113.7"), status: 403, detail: forwardedDetail},
		{name: "True-Client-IP", header: h("True-Client-IP", "203.0.113.7"), status: 403, detail: forwardedDetail},
		{name: "CF-Connecting-IP", header: h("CF-Connecting-IP", "203.0.113.7"), status: 403, detail: forwardedDetail},
		{name: "Fastly-Client-IP", header: h("Fastly-Client-IP", "203.0.113.7"), status: 403, detail: forwardedDetail},
		{name: "X-Cluster-Client-IP", header: h("X-Cluster-Client-IP", "203.0.113.7"), status: 403, detail: forwardedDetail},
		{name: "X-Original-Forwarded-For", header: h("X-Original-Forwarded-For", "203.0.113.7"), status: 403, detail: forwardedDetail},
		{name: "Via", header: h("Via", "1.1 proxy"), status: 403, detail: forwardedDetail},
		{name: "underscores for hyphens", header: http.Header{"x_forwarded_for": {"203.0.113.7"}}, status: 403, detail: forwardedDetail},

		// DNS rebinding: the browser sends the attacker's name in Host.
		{name: "foreign Host", host: "evil.example", status: 403, detail: hostDetail},
		{name: "foreign Host with the port", host: "evil.example:8000", status: 403, detail: hostDetail},
		{name: "rebinding service name", host: "127.0.0.1.nip.io:8000", status: 403, detail: hostDetail},
		{name: "subdomain of localhost", host: "app.localhost:8000", status: 403, detail: hostDetail},
		{name: "absolute localhost", host: "localhost.:8000", status: 403, detail: hostDetail},
		{name: "look-alike of localhost", host: "localhoſt:8000", status: 403, detail: hostDetail},
		{name: "LAN address", host: "192.168.1.10:8000", status: 403, detail: hostDetail},
		{name: "unspecified address", host: "0.0.0.0:8000", status: 403, detail: hostDetail},
		{name: "IPv4 in brackets", host: "[127.0.0.1]:8000", status: 403, detail: hostDetail},
		{name: "unbracketed IPv6", host: "::1", status: 403, detail: hostDetail},
		{name: "unclosed bracket", host: "[::1:8000", status: 403, detail: hostDetail},
		{name: "junk after the bracket", host: "[::1]x8000", status: 403, detail: hostDetail},
		{name: "empty port", host: "localhost:", status: 403, detail: hostDetail},
		{name: "port that is no number", host: "localhost:http", status: 403, detail: hostDetail},
		{name: "port too long", host: "localhost:800000", status: 403, detail: hostDetail},
		{name: "no Host", host: "-", status: 403, detail: hostDetail},

		// CSRF: a page elsewhere posting across origins.
		{name: "foreign origin", header: h("Origin", "https://evil.example"), status: 403, detail: originDetail},
		{name: "null origin", header: h("Origin", "null"), status: 403, detail: originDetail},
		{name: "origin under a foreign domain", header: h("Origin", "http://localhost.evil.example"), status: 403, detail: originDetail},
		{name: "origin of a rebinding name", header: h("Origin", "http://127.0.0.1.nip.io:3000"), status: 403, detail: originDetail},
		{name: "origin with a path", header: h("Origin", "http://localhost:3000/"), status: 403, detail: originDetail},
		{name: "file origin", header: h("Origin", "file://"), status: 403, detail: originDetail},
		{name: "origin of another scheme", header: h("Origin", "ftp://localhost"), status: 403, detail: originDetail},
		{name: "escaped origin", header: h("Origin", "http://%6cocalhost:3000"), status: 403, detail: originDetail},
		{name: "origin with user info", header: h("Origin", "http://u@localhost:3000"), status: 403, detail: originDetail},
		{name: "empty origin", header: h("Origin", ""), status: 403, detail: originDetail},
		{name: "two origins", header: h("Origin", "http://localhost:3000", "Origin", "https://evil.example"), status: 403, detail: originDetail},

		// Bodies a browser posts across origins without a preflight.
		{name: "no Content-Type", noType: true, postOnly: true, status: 415, detail: typeDetail},
		{name: "text/plain", header: h("Content-Type", "text/plain"), postOnly: true, status: 415, detail: typeDetail},
		{name: "form", header: h("Content-Type", "application/x-www-form-urlencoded"), postOnly: true, status: 415, detail: typeDetail},
		{name: "multipart", header: h("Content-Type", "multipart/form-data; boundary=x"), postOnly: true, status: 415, detail: typeDetail},
		{name: "a JSON suffix type", header: h("Content-Type", "application/merge-patch+json"), postOnly: true, status: 415, detail: typeDetail},
		{name: "a longer type", header: h("Content-Type", "application/jsonx"), postOnly: true, status: 415, detail: typeDetail},
		{name: "malformed parameters", header: h("Content-Type", "application/json; charset"), postOnly: true, status: 415, detail: typeDetail},
		{name: "two types", header: h("Content-Type", "application/json", "Content-Type", "text/plain"), postOnly: true, status: 415, detail: typeDetail},
	}

	a, _, _ := newDevApp(t, nil)
	endpoints := []struct {
		method, path, body string
		ok                 func(t *testing.T, body []byte)
	}{
		{"POST", "/dev/token", `{"user_id":"user_guard"}`, func(t *testing.T, body []byte) {
			var minted devTokenResponse
			require.NoError(t, json.Unmarshal(body, &minted))
			assert.Equal(t, "user_guard", minted.UserID)
		}},
		{"POST", "/dev/webhook", `{"type":"user.deleted","data":{"id":"user_guard_victim","deleted":true}}`, func(t *testing.T, body []byte) {
			assert.JSONEq(t, `{"status":"ok"}`, string(body))
		}},
		{"GET", "/dev/jwks.json", "", func(t *testing.T, body []byte) {
			assert.Contains(t, string(body), `"keys"`)
		}},
	}
	for _, ep := range endpoints {
		for _, tc := range cases {
			if tc.postOnly && ep.method != http.MethodPost {
				continue
			}
			t.Run(ep.path+"/"+tc.name, func(t *testing.T) {
				w := serveDev(a, ep.method, ep.path, ep.body, tc)
				if tc.status == 0 {
					require.Equal(t, http.StatusOK, w.Code, w.Body.String())
					ep.ok(t, w.Body.Bytes())
					return
				}
				require.Equal(t, tc.status, w.Code, w.Body.String())
				var refusal map[string]string
				require.NoError(t, json.Unmarshal(w.Body.Bytes(), &refusal), "the module's error body")
				want := "access_denied"
				if tc.status == http.StatusUnsupportedMediaType {
					want = "invalid_request"
					assert.Equal(t, "application/json", w.Header().Get("Accept-Post"))
				}
				assert.Equal(t, map[string]string{"error": want, "detail": refusal["detail"]}, refusal)
				assert.Contains(t, refusal["detail"], tc.detail)
			})
		}
	}
}

// serveDev sends one request to a dev endpoint through the whole chain.
func serveDev(a *App, method, path, body string, tc devGuardCase) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.RemoteAddr = "127.0.0.1:50000"
	if tc.peer != "" {
		r.RemoteAddr = tc.peer
	}
	r.Host = "127.0.0.1:8000"
	switch tc.host {
	case "":
	case "-":
		r.Host = ""
	default:
		r.Host = tc.host
	}
	if method == http.MethodPost && !tc.noType {
		r.Header.Set("Content-Type", "application/json")
	}
	for k := range tc.header {
		if http.CanonicalHeaderKey(k) == "Content-Type" {
			r.Header.Del("Content-Type")
		}
	}
	for k, v := range tc.header {
		r.Header[k] = append(r.Header[k], v...)
	}
	w := httptest.NewRecorder()
	a.Handler().ServeHTTP(w, r)
	return w
}

// FuzzDevGuardHost: what the dev guard takes for a loopback Host or Origin is one that
// net/url reads the same way, with a loopback host.
func FuzzDevGuardHost(f *testing.F) {
	for _, s := range []string{"localhost:8000", "[::1]:8000", "127.0.0.1", "[::1", "::1", "[127.0.0.1]:80",
		"localhost:", "localhost.:80", "LOCALHOST", "[::ffff:127.0.0.1]", "localhost:8000:9", "[::1]x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if loopbackHostHeader(s) {
			u, err := url.Parse("http://" + s)
			if err != nil || u.Host != s || !jwks.IsLoopback(u.Hostname()) {
				t.Fatalf("Host %q accepted, but net/url reads host %q (%v)", s, u.Hostname(), err)
			}
		}
		for _, origin := range []string{s, "http://" + s, "https://" + s} {
			if !loopbackOrigin(origin) {
				continue
			}
			u, err := url.Parse(origin)
			if err != nil || !jwks.IsLoopback(u.Hostname()) || !strings.EqualFold(origin, u.Scheme+"://"+u.Host) {
				t.Fatalf("Origin %q accepted, but net/url reads %q (%v)", origin, u, err)
			}
		}
	})
}
