//go:build unix

package main

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bannerConsole is the console line of the DEV MODE banner.
var bannerConsole = regexp.MustCompile(`console\s+(http://\S+/)\s`)

// consoleMessages collects the errors and warnings the page writes to its console (CSP
// violations, uncaught exceptions, console.error) until ctx ends; not the network log's
// "Failed to load resource" of every 4xx, which the console provokes on purpose.
func consoleMessages(ctx context.Context) func() []string {
	messages := chromedp.Console(ctx)
	done := make(chan []string, 1)
	go func() {
		var out []string
		for m, err := range messages {
			if err != nil {
				break
			}
			if m.Source != "network" && (m.IsException() || m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning) {
				out = append(out, m.String()+" ("+m.Source+")")
			}
		}
		done <- out
	}()
	return func() []string {
		select {
		case out := <-done:
			return out
		case <-time.After(5 * time.Second):
			return []string{"(the console messages did not end)"}
		}
	}
}

// TestBrowserConsole walks the dev console's main flow in Chromium: mint a token for a
// user of an organization, see its claims, call /me with it as a Bearer header and as
// the __session cookie, call the admin endpoint, delete the user by webhook, see 403 on
// the next call, and find all of it in the audit table. The page loads nothing from
// elsewhere and its CSP blocks nothing of its own.
func TestBrowserConsole(t *testing.T) {
	browser := newBrowser(t)
	s := startServer(t, map[string]string{"ADDR": "127.0.0.1:0"})
	var consoleURL string
	require.Eventually(t, func() bool {
		m := bannerConsole.FindStringSubmatch(s.stderr.String())
		if m != nil {
			consoleURL = m[1]
		}
		return m != nil
	}, startTimeout, 10*time.Millisecond, "no console URL in the banner")
	require.Equal(t, s.url+"/", consoleURL)

	page := openTab(t, browser, "console")
	tabCtx, cancel := context.WithCancel(page.ctx)
	messages := consoleMessages(tabCtx)
	page.do(chromedp.Navigate(consoleURL))
	page.waitFor(`document.body.dataset.ready === 'true'`)

	// Mint: the form's values, then the decoded token.
	page.do(
		chromedp.SetValue(chromedp.ID("user_id"), "user_console"),
		chromedp.SetValue(chromedp.ID("email"), "console@example.com"),
		chromedp.SetValue(chromedp.ID("org_id"), "org_console"),
		chromedp.SetValue(chromedp.ID("role"), "org:admin"),
		chromedp.SetValue(chromedp.ID("permissions"), "org:members:manage"),
		chromedp.SetValue(chromedp.ID("lifetime_seconds"), "600"),
		chromedp.Click(chromedp.ID("mint-button")),
	)
	page.waitFor(`document.getElementById('token').value.startsWith('ey')`)
	assert.True(t, strings.HasPrefix(text(page, "mint-status"), "200"), text(page, "mint-status"))
	claims := text(page, "token-claims")
	for _, want := range []string{`"sub": "user_console"`, `"email": "console@example.com"`, `"org_console"`, `"exp (date)"`} {
		assert.Contains(t, claims, want)
	}
	assert.Contains(t, text(page, "token-header"), `"alg": "RS256"`)

	// /me with the token as a Bearer header, then as the cookie; no cookie stays behind.
	send := func(endpoint, credential string) string {
		t.Helper()
		page.do(
			chromedp.SetValue(chromedp.ID("endpoint"), endpoint),
			chromedp.Click(chromedp.CSS(`input[name="credential"][value="`+credential+`"]`)),
			chromedp.Evaluate[chromedp.Void](`document.getElementById('call-status').textContent = ''`),
			chromedp.Click(chromedp.ID("call-button")),
		)
		page.waitFor(`document.getElementById('call-status').textContent !== ''`)
		return text(page, "call-status")
	}
	assert.True(t, strings.HasPrefix(send("me", "bearer"), "200"), text(page, "call-body"))
	assert.Contains(t, text(page, "call-body"), `"email": "console@example.com"`)
	assert.Equal(t, "(none)", text(page, "call-www-authenticate"))
	assert.True(t, strings.HasPrefix(send("me", "cookie"), "200"), text(page, "call-body"))
	assert.Equal(t, "", eval[string](page, `document.cookie`), "the console left the cookie behind")
	assert.True(t, strings.HasPrefix(send("admin", "bearer"), "200"), text(page, "call-body"))
	assert.True(t, strings.HasPrefix(send("me", "none"), "401"), text(page, "call-body"))
	assert.True(t, strings.HasPrefix(text(page, "call-www-authenticate"), "Bearer realm="), text(page, "call-www-authenticate"))

	// A webhook: the user is deleted, and the next call is refused.
	page.do(chromedp.SetValue(chromedp.ID("event-type"), "user.deleted"),
		chromedp.Click(chromedp.ID("webhook-fill")))
	assert.Contains(t, eval[string](page, `document.getElementById('event-data').value`), `"id": "user_console"`)
	page.do(chromedp.Click(chromedp.ID("webhook-button")))
	page.waitFor(`document.getElementById('webhook-status').textContent !== ''`)
	assert.True(t, strings.HasPrefix(text(page, "webhook-status"), "200"), text(page, "webhook-body"))
	assert.True(t, strings.HasPrefix(send("me", "bearer"), "403"), text(page, "call-body"))
	assert.Contains(t, text(page, "call-body"), `"error"`)

	// The audit table shows the refusal, newest first.
	page.waitFor(`(() => { const r = document.querySelector('#audit-rows tr'); return r && r.children[3].textContent === '403'; })()`)
	first := eval[[]string](page, `[...document.querySelector('#audit-rows tr').children].map((td) => td.textContent)`)
	require.Len(t, first, 9)
	assert.Equal(t, []string{"GET", "/api/auth_core/me/", "403", "user_console", "org_console", "failure"}, first[1:7])
	paths := eval[[]string](page, `[...document.querySelectorAll('#audit-rows tr')].map((tr) => tr.children[1].textContent + ' ' + tr.children[2].textContent)`)
	assert.Contains(t, paths, "POST /dev/webhook")
	assert.Contains(t, paths, "POST /dev/token")
	for _, p := range paths {
		assert.NotContains(t, p, "/dev/audit", "the console's polling is in its own table")
	}

	cancel()
	assert.Empty(t, messages(), "the console page logged errors (a CSP violation, an exception)")
	assert.Equal(t, 0, s.stop())
	assert.Positive(t, s.countAudit(http.MethodGet, "/", ""), "the console page is in the audit trail")
}

// text returns the text of the element with id in tb's page.
func text(tb *tab, id string) string {
	tb.t.Helper()
	return eval[string](tb, `document.getElementById(`+jsString(tb.t, id)+`).textContent`)
}
