package app

import (
	"net/http"
	"strconv"
	"time"
)

// CORS settings of the browser-facing API.
const (
	corsAllowMethods  = "GET, POST, OPTIONS"
	corsAllowHeaders  = "Authorization, Content-Type"
	corsExposeHeaders = "X-Request-Id"
	corsMaxAge        = 10 * time.Minute
)

// newCORS returns the CORS middleware for origins (already validated: serialized origins,
// never "*"). A listed origin gets "Access-Control-Allow-Origin: <origin>" and
// "Access-Control-Allow-Credentials: true", so that the browser may send the __session
// cookie or an Authorization header; any other origin gets no CORS header at all, and
// the browser keeps the response from the page. Preflights (OPTIONS with Origin and
// Access-Control-Request-Method) are answered here with 204, never passed on: browsers
// send them without credentials, so the authentication middleware must not see them.
// Every answer varies by Origin. With no origins the middleware is the identity.
func newCORS(origins []string) func(http.Handler) http.Handler {
	if len(origins) == 0 {
		return func(next http.Handler) http.Handler { return next }
	}
	allowed := make(map[string]bool, len(origins))
	for _, o := range origins {
		allowed[o] = true
	}
	maxAge := strconv.Itoa(int(corsMaxAge / time.Second))
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Add("Vary", "Origin")
			origin := r.Header.Get("Origin")
			ok := origin != "" && allowed[origin]
			if r.Method == http.MethodOptions && origin != "" && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Add("Vary", "Access-Control-Request-Method")
				h.Add("Vary", "Access-Control-Request-Headers")
				if ok {
					h.Set("Access-Control-Allow-Origin", origin)
					h.Set("Access-Control-Allow-Credentials", "true")
					h.Set("Access-Control-Allow-Methods", corsAllowMethods)
					h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
					h.Set("Access-Control-Max-Age", maxAge)
				}
				w.WriteHeader(http.StatusNoContent)
				return
			}
			if ok {
				h.Set("Access-Control-Allow-Origin", origin)
				h.Set("Access-Control-Allow-Credentials", "true")
				h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
			}
			next.ServeHTTP(w, r)
		})
	}
}
