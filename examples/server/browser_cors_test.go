//go:build unix

package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
)

// corsFailed is how Chromium's fetch reports a response the page may not read: a
// refused preflight, or an answer without the CORS headers.
const corsFailed = "TypeError: Failed to fetch"

// TestBrowserCORS runs a production configuration (a fake Clerk's JWKS, no dev mode)
// behind a frontend on another port of the same host, as in development with Vite or
// Next.js (http://localhost:5173 → http://localhost:8000), and lets a real browser decide
// what the page may send and read:
//
//   - from the allowed origin, with a Bearer header (a preflight) or with the __session
//     cookie (credentials: 'include'), the page reads every answer: 200, and the
//     refusals 401, 403 and 503 with their WWW-Authenticate and Retry-After headers;
//   - from another port of the same host (same site, another origin) and from 127.0.0.1
//     (another site), the page reads nothing, and a preflighted request never reaches
//     the server; a simple GET with the cookie does reach it (CORS hides answers, it does
//     not stop requests).
func TestBrowserCORS(t *testing.T) {
	browser := newBrowser(t)
	front := startFrontend(t)
	allowed := front.origin("localhost")

	// The fake Clerk's JWKS, closed until the test opens it: the server starts without
	// keys and answers 503 meanwhile.
	f := newFixture(t)
	var (
		open     = make(chan struct{})
		openOnce sync.Once
	)
	jwksServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-open:
			f.iss.Handler().ServeHTTP(w, r)
		case <-r.Context().Done():
		}
	}))
	openJWKS := func() { openOnce.Do(func() { close(open) }) }
	t.Cleanup(func() { openJWKS(); jwksServer.Close() })

	dbURL, _ := sqliteDatabase(t)
	s := startServer(t, map[string]string{
		"ADDR":                     "127.0.0.1:0",
		"CLERK_JWKS_URL":           jwksServer.URL + clerkauthtest.FrontendJWKSPath,
		"CLERK_ISSUER":             f.iss.Issuer(),
		"CLERK_AUTHORIZED_PARTIES": allowed,
		"CLERK_WEBHOOK_SECRET":     f.secret,
		"DATABASE_URL":             dbURL,
		"CORS_ALLOWED_ORIGINS":     allowed,
	})
	api := localhostURL(t, s.url)
	me := api + pathMe
	token := func(user string) string {
		return f.sign(f.iss.Token().User(user).AuthorizedParty(allowed).
			Claim("email", user+"@example.com").Org("org_acme", "acme", "org:member"))
	}
	bearer := func(tok string) map[string]any {
		return map[string]any{"headers": map[string]string{"Authorization": "Bearer " + tok}}
	}
	alice := token("user_alice")

	page := openPage(t, browser, allowed)

	// 503 while the keys load: readable, with Retry-After, so that the frontend can wait
	// and retry rather than sign the user out.
	r := page.call(me, bearer(alice))
	require.Empty(t, r.Error, "the allowed frontend cannot read a 503: %+v", r)
	assert.Equal(t, http.StatusServiceUnavailable, r.Status)
	assert.Contains(t, r.Body, `"error"`)
	assert.NotEmpty(t, r.header("retry-after"), "Retry-After is not readable by the frontend (not exposed)")

	openJWKS()
	s.waitHealthy()

	t.Run("allowed origin, Bearer header", func(t *testing.T) {
		r := page.call(me, bearer(alice))
		require.Empty(t, r.Error, "%+v", r)
		assert.Equal(t, http.StatusOK, r.Status, r.Body)
		assert.Contains(t, r.Body, `"email":"user_alice@example.com"`)
		assert.NotEmpty(t, r.header("x-request-id"), "X-Request-Id is not readable by the frontend")

		// Refusals are readable too, with their challenge.
		r = page.call(me, nil)
		require.Empty(t, r.Error, "the allowed frontend cannot read a 401: %+v", r)
		assert.Equal(t, http.StatusUnauthorized, r.Status)
		assert.True(t, strings.HasPrefix(r.header("www-authenticate"), "Bearer realm="),
			"WWW-Authenticate is not readable by the frontend: %+v", r.Headers)

		r = page.call(me, bearer(alice[:len(alice)-4]+"AAAA"))
		require.Empty(t, r.Error, "%+v", r)
		assert.Equal(t, http.StatusUnauthorized, r.Status)
		assert.Contains(t, r.header("www-authenticate"), `error="invalid_token"`)

		r = page.call(api+adminPath("org_acme"), bearer(alice))
		require.Empty(t, r.Error, "the allowed frontend cannot read a 403: %+v", r)
		assert.Equal(t, http.StatusForbidden, r.Status)
		assert.Contains(t, r.header("www-authenticate"), `error="insufficient_scope"`)
	})

	t.Run("allowed origin, __session cookie", func(t *testing.T) {
		bob := token("user_bob")
		// As Clerk's frontend SDK does: the cookie belongs to the frontend's host,
		// localhost, whatever the port, so the browser sends it to the API on another port
		// of localhost (same site), but only with credentials: 'include'.
		eval[bool](page, `document.cookie = "__session=`+bob+`; path=/; SameSite=Lax", true`)
		t.Cleanup(func() { eval[bool](page, `document.cookie = "__session=; path=/; max-age=0", true`) })

		r := page.call(me, map[string]any{"credentials": "include"})
		require.Empty(t, r.Error, "%+v", r)
		assert.Equal(t, http.StatusOK, r.Status, r.Body)
		assert.Contains(t, r.Body, `"id":"user_bob"`)

		r = page.call(me, nil) // fetch's default, credentials: 'same-origin': no cookie
		require.Empty(t, r.Error, "%+v", r)
		assert.Equal(t, http.StatusUnauthorized, r.Status, "the cookie went along without credentials: 'include'")

		// The same API by address: 127.0.0.1 is another host, and another site, than the
		// cookie's localhost: no cookie, 401 (readable: the origin is allowed).
		r = page.call(s.url+pathMe, map[string]any{"credentials": "include"})
		require.Empty(t, r.Error, "%+v", r)
		assert.Equal(t, http.StatusUnauthorized, r.Status, "a localhost cookie went to 127.0.0.1")
	})

	t.Run("the preflight", func(t *testing.T) {
		// GET with Authorization, as above: one preflight per URL, then the browser's
		// preflight cache (Access-Control-Max-Age).
		assert.Eventually(t, func() bool { return s.countAudit(http.MethodOptions, pathMe, "") == 1 }, 5*time.Second, 20*time.Millisecond,
			"preflights of %s: %d, want 1", pathMe, s.countAudit(http.MethodOptions, pathMe, ""))
		// No route of this server takes DELETE: the browser is told so before sending it.
		carol := token("user_carol")
		init := bearer(carol)
		init["method"] = http.MethodDelete
		r := page.call(me, init)
		assert.Equal(t, corsFailed, r.Error, "%+v", r)
		assert.Zero(t, s.countAudit(http.MethodDelete, pathMe, ""), "a DELETE went past the preflight")
	})

	t.Run("another port of the same host", func(t *testing.T) {
		other := openPage(t, browser, front.otherOrigin("localhost"))
		dave := token("user_dave")
		r := other.call(me, bearer(dave))
		assert.Equal(t, corsFailed, r.Error, "a disallowed origin read the answer: %+v", r)
		assert.Zero(t, s.countAudit(http.MethodGet, pathMe, "user_dave"), "the request went past the refused preflight")

		// A cookie is a simple request: no preflight, so the browser sends it, cookie
		// included (same site), and the server answers; only the page cannot read it.
		erin := token("user_erin")
		eval[bool](other, `document.cookie = "__session=`+erin+`; path=/; SameSite=Lax", true`)
		t.Cleanup(func() { eval[bool](other, `document.cookie = "__session=; path=/; max-age=0", true`) })
		r = other.call(me, map[string]any{"credentials": "include"})
		assert.Equal(t, corsFailed, r.Error, "a disallowed origin read the answer: %+v", r)
		assert.Eventually(t, func() bool { return s.countAudit(http.MethodGet, pathMe, "user_erin") == 1 }, 5*time.Second, 20*time.Millisecond,
			"the simple GET with the cookie did not reach the server")
	})

	t.Run("another site", func(t *testing.T) {
		other := openPage(t, browser, front.origin("127.0.0.1"))
		frank := token("user_frank")
		r := other.call(me, bearer(frank))
		assert.Equal(t, corsFailed, r.Error, "a disallowed origin read the answer: %+v", r)
		assert.Zero(t, s.countAudit(http.MethodGet, pathMe, "user_frank"))
		r = other.call(me, map[string]any{"credentials": "include"})
		assert.Equal(t, corsFailed, r.Error, "a disallowed origin read the answer: %+v", r)
	})

	assert.Equal(t, 0, s.stop())
}

// TestBrowserDevFrontend: in dev mode a local frontend on an allowed origin mints its
// tokens itself (POST /dev/token with JSON: a preflight for POST and Content-Type) and
// calls the API with them, but cannot send a DELETE, which no route uses; a page on another local port is stopped by the browser before
// its JSON POST leaves, and its form-like text/plain POST, which needs no preflight,
// reaches the server only to be refused (415). The console, same-origin, works with CORS
// configured.
func TestBrowserDevFrontend(t *testing.T) {
	browser := newBrowser(t)
	front := startFrontend(t)
	allowed := front.origin("localhost")
	s := startServer(t, map[string]string{"ADDR": "127.0.0.1:0", "CORS_ALLOWED_ORIGINS": allowed})
	api := localhostURL(t, s.url)
	mint := func(user string) map[string]any {
		return map[string]any{
			"method":  http.MethodPost,
			"headers": map[string]string{"Content-Type": "application/json"},
			"body":    `{"user_id":"` + user + `","email":"` + user + `@example.com"}`,
		}
	}

	page := openPage(t, browser, allowed)
	r := page.call(api+"/dev/token", mint("user_front"))
	require.Empty(t, r.Error, "the allowed frontend cannot mint: %+v", r)
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	tok := decode[struct {
		Token string `json:"token"`
	}](t, []byte(r.Body)).Token
	r = page.call(api+pathMe, map[string]any{"headers": map[string]string{"Authorization": "Bearer " + tok}})
	require.Empty(t, r.Error, "%+v", r)
	assert.Equal(t, http.StatusOK, r.Status, r.Body)
	assert.Contains(t, r.Body, `"email":"user_front@example.com"`)
	// DELETE: no route of the server uses it, so its preflight fails.
	r = page.call(api+pathMe, map[string]any{"method": http.MethodDelete, "headers": map[string]string{"Authorization": "Bearer " + tok}})
	assert.Equal(t, corsFailed, r.Error, "%+v", r)

	other := openPage(t, browser, front.otherOrigin("localhost"))
	r = other.call(api+"/dev/token", mint("user_other"))
	assert.Equal(t, corsFailed, r.Error, "%+v", r)
	simple := mint("user_other")
	simple["headers"] = map[string]string{"Content-Type": "text/plain"}
	r = other.call(api+"/dev/token", simple)
	assert.Equal(t, corsFailed, r.Error, "%+v", r)
	// What reached the server: the allowed mint (200) and the text/plain POST (415).
	tokenStatuses := func() []int {
		var out []int
		for _, rec := range s.auditRecords() {
			if rec.Method == http.MethodPost && rec.Path == "/dev/token" {
				out = append(out, rec.Status)
			}
		}
		return out
	}
	assert.Eventually(t, func() bool { return len(tokenStatuses()) == 2 }, 5*time.Second, 20*time.Millisecond)
	assert.Equal(t, []int{http.StatusOK, http.StatusUnsupportedMediaType}, tokenStatuses())

	console := openTab(t, browser, "console")
	console.do(chromedp.Navigate(s.url + "/"))
	console.waitFor(`document.body.dataset.ready === 'true'`)
	console.do(chromedp.Click(chromedp.ID("mint-button")))
	console.waitFor(`document.getElementById('token').value.startsWith('ey')`)

	assert.Equal(t, 0, s.stop())
}
