package app

import (
	"embed"
	"net/http"
)

// consoleFiles holds the dev console: one page, its script and its style, embedded so that
// the console works offline and loads nothing from elsewhere.
//
//go:embed console/index.html console/console.js console/console.css
var consoleFiles embed.FS

// Routes of the dev console. Its requests are left out of the audit records it shows
// (see auditRing).
const (
	routeConsolePage   = "GET /{$}"
	routeConsoleScript = "GET /dev/console.js"
	routeConsoleStyle  = "GET /dev/console.css"
	routeDevAudit      = "GET /dev/audit"
)

// consoleCSP lets the console page run its own script and style and call this server,
// and nothing else: no inline script, no other origin, no framing (the console mints
// tokens and deletes users in a click).
const consoleCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src data:; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// devConsoleRoute reports whether route (a ServeMux pattern) is one of the console's
// own.
func devConsoleRoute(route string) bool {
	switch route {
	case routeConsolePage, routeConsoleScript, routeConsoleStyle, routeDevAudit:
		return true
	}
	return false
}

// consoleRoutes registers the console and the audit records it reads, behind devGuard
// like every dev endpoint: GET / is the console page in dev mode (and a 404 otherwise,
// where nothing registers it).
func (d *devClerk) consoleRoutes(mux *router) {
	mux.Handle(routeConsolePage, devGuard(consoleFile("console/index.html", "text/html; charset=utf-8")))
	mux.Handle(routeConsoleScript, devGuard(consoleFile("console/console.js", "text/javascript; charset=utf-8")))
	mux.Handle(routeConsoleStyle, devGuard(consoleFile("console/console.css", "text/css; charset=utf-8")))
	mux.Handle(routeDevAudit, devGuard(d.audit))
}

// consoleFile serves one embedded file of the console, never cached (the binary may
// change under the same URL) and never framed.
func consoleFile(name, contentType string) http.Handler {
	body, err := consoleFiles.ReadFile(name)
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if err != nil { // cannot happen: the files are embedded at build time
			http.Error(w, "the console is missing from this build", http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Type", contentType)
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", consoleCSP)
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		_, _ = w.Write(body)
	})
}
