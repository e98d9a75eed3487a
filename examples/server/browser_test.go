//go:build unix

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// envTestBrowser, when set, makes the browser tests required: they fail, rather than
// skip, when Chromium is missing or does not start. .ci/run sets it.
const envTestBrowser = "AUTHKIT_TEST_BROWSER"

const (
	// browserActionTimeout bounds one step in the browser (a navigation, a fetch).
	browserActionTimeout = 30 * time.Second
	// failureDir receives a screenshot of every tab of a failed browser test
	// (gitignored).
	failureDir = "testdata/failures"
)

// browserNames are the Chromium executables looked up in PATH, Debian's first.
var browserNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"}

// newBrowser starts a headless Chromium for one test, with a fresh profile, and returns
// its context (its first tab). Without Chromium the test skips, unless
// AUTHKIT_TEST_BROWSER is set: then it fails, as it does when Chromium does not start.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	var path string
	for _, name := range browserNames {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv(envTestBrowser) != "" {
			t.Fatalf("%s is set but no Chromium is installed (looked for %v in PATH): apt-get install -y chromium", envTestBrowser, browserNames)
		}
		t.Skipf("no Chromium in PATH (%v) and %s is not set: skipping the browser test (apt-get install -y chromium to run it)", browserNames, envTestBrowser)
	}
	// Without the background-networking flags Chromium calls home at start, which a
	// closed network refuses; QUIC likewise.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("Chromium (%s) does not start: %v", path, err)
	}
	return ctx
}

// tab is one browser tab of a test.
type tab struct {
	t    *testing.T
	ctx  context.Context
	name string
}

// openTab opens a tab in browser. When the test fails, the tab's page is saved as a PNG
// under testdata/failures and its path logged.
func openTab(t *testing.T, browser context.Context, name string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("opening tab %s: %v", name, err)
	}
	tb := &tab{t: t, ctx: ctx, name: name}
	t.Cleanup(tb.screenshotIfFailed) // runs before cancel
	return tb
}

// screenshotIfFailed saves the tab's page when the test failed.
func (tb *tab) screenshotIfFailed() {
	if !tb.t.Failed() {
		return
	}
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		tb.t.Logf("no screenshot of tab %s: %v", tb.name, err)
		return
	}
	name := regexp.MustCompile(`[^A-Za-z0-9_-]+`).ReplaceAllString(tb.t.Name()+"-"+tb.name, "_") +
		"-" + time.Now().Format("20060102-150405") + ".png"
	path, err := filepath.Abs(filepath.Join(failureDir, name))
	if err == nil {
		err = os.MkdirAll(filepath.Dir(path), 0o755)
	}
	if err == nil {
		err = os.WriteFile(path, png, 0o644)
	}
	if err != nil {
		tb.t.Logf("saving the screenshot of tab %s: %v", tb.name, err)
		return
	}
	tb.t.Logf("screenshot of tab %s: %s", tb.name, path)
}

// do runs steps in the tab, each within browserActionTimeout, and fails the test on
// error.
func (tb *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	for _, step := range steps {
		ctx, cancel := context.WithTimeout(tb.ctx, browserActionTimeout)
		err := chromedp.Do(ctx, step)
		cancel()
		if err != nil {
			tb.t.Fatalf("tab %s: %v", tb.name, err)
		}
	}
}

// eval evaluates a JavaScript expression in tb's page, awaiting a promise, and decodes
// its value.
func eval[T any](tb *tab, expression string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, browserActionTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expression, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.t.Fatalf("tab %s: evaluating %.200s: %v", tb.name, expression, err)
	}
	return v
}

// waitFor polls a JavaScript predicate in tb's page until it is true.
func (tb *tab) waitFor(predicate string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, browserActionTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](predicate, chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		tb.t.Fatalf("tab %s: waiting for %s: %v", tb.name, predicate, err)
	}
}

// jsString is s as a JavaScript literal.
func jsString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// fetchResult is what a test page's call() returns: the answer as the page's script
// sees it, or the error fetch threw (a CORS refusal is a TypeError).
type fetchResult struct {
	Status  int                `json:"status"`
	Body    string             `json:"body"`
	Headers map[string]*string `json:"headers"` // nil: not readable by the page
	Error   string             `json:"error"`
}

// header returns a response header as the page read it, "" when it could not.
func (r fetchResult) header(name string) string {
	if v := r.Headers[name]; v != nil {
		return *v
	}
	return ""
}

// frontendPage is the test frontend's page: an origin to run fetch from, with call(),
// which answers a fetchResult.
const frontendPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>test frontend</title></head>
<body><h1>test frontend</h1><pre id="log"></pre>
<script>
window.call = async (url, init) => {
  const log = document.getElementById('log');
  try {
    const r = await fetch(url, init || {});
    const headers = {};
    for (const name of ['www-authenticate', 'retry-after', 'x-request-id', 'content-type']) {
      headers[name] = r.headers.get(name);
    }
    const out = {status: r.status, body: await r.text(), headers};
    log.textContent += (init && init.method || 'GET') + ' ' + url + ' -> ' + r.status + '\n';
    return out;
  } catch (e) {
    log.textContent += (init && init.method || 'GET') + ' ' + url + ' -> ' + e + '\n';
    return {error: String(e)};
  }
};
</script></body></html>
`

// frontend is a static frontend on two loopback ports, serving frontendPage: the
// origins a browser test runs its fetches from.
type frontend struct {
	port, otherPort int
}

// startFrontend starts the test frontend; it stops with the test.
func startFrontend(t *testing.T) *frontend {
	t.Helper()
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			_, _ = w.Write([]byte(frontendPage))
		}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	f := &frontend{}
	for _, port := range []*int{&f.port, &f.otherPort} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		*port = ln.Addr().(*net.TCPAddr).Port
		go func() { _ = srv.Serve(ln) }()
	}
	t.Cleanup(func() { _ = srv.Close() })
	return f
}

// origin is the frontend's origin at host on its first port ("localhost": the allowed
// frontend of the tests).
func (f *frontend) origin(host string) string {
	return "http://" + net.JoinHostPort(host, strconv.Itoa(f.port))
}

// otherOrigin is the frontend's origin at host on its second port.
func (f *frontend) otherOrigin(host string) string {
	return "http://" + net.JoinHostPort(host, strconv.Itoa(f.otherPort))
}

// openPage opens a tab on the frontend page at origin.
func openPage(t *testing.T, browser context.Context, origin string) *tab {
	t.Helper()
	tb := openTab(t, browser, origin)
	tb.do(chromedp.Navigate(origin + "/"))
	tb.waitFor(`typeof window.call === 'function'`)
	return tb
}

// call runs fetch(url, init) in the page.
func (tb *tab) call(url string, init map[string]any) fetchResult {
	tb.t.Helper()
	if init == nil {
		init = map[string]any{}
	}
	return eval[fetchResult](tb, fmt.Sprintf("call(%s, %s)", jsString(tb.t, url), jsString(tb.t, init)))
}

// localhostURL is a server's base URL with "localhost" for its loopback address, as a
// frontend on localhost calls it.
func localhostURL(t *testing.T, base string) string {
	t.Helper()
	m := regexp.MustCompile(`^http://127\.0\.0\.1:(\d+)$`).FindStringSubmatch(base)
	require.NotNil(t, m, "a server URL that is not http://127.0.0.1:<port>: %s", base)
	return "http://localhost:" + m[1]
}

// auditRecord is one line of a server's audit trail, as the browser tests read it.
type auditRecord struct {
	Method string `json:"http.request.method"`
	Path   string `json:"url.path"`
	Status int    `json:"http.response.status_code"`
	UserID string `json:"user.id"`
}

// auditRecords parses the audit trail written so far.
func (s *server) auditRecords() []auditRecord {
	s.t.Helper()
	var out []auditRecord
	for _, line := range s.stdout.Lines() {
		var r auditRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			s.t.Fatalf("an audit line that is not JSON: %v: %s", err, line)
		}
		out = append(out, r)
	}
	return out
}

// countAudit counts the audit records matching method, path and (if not "") user.
func (s *server) countAudit(method, path, user string) int {
	n := 0
	for _, r := range s.auditRecords() {
		if r.Method == method && r.Path == path && (user == "" || r.UserID == user) {
			n++
		}
	}
	return n
}
