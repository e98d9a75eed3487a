package app

import (
	"net/http"
	"time"

	"github.com/rs/cors"
)

// CORS settings of the browser-facing API.
const corsMaxAge = 10 * time.Minute

var (
	// corsAllowHeaders are the request headers a page on an allowed origin may send:
	// the session token and JSON bodies.
	corsAllowHeaders = []string{"Authorization", "Content-Type"}
	// corsExposeHeaders are the response headers such a page may read besides the
	// CORS-safelisted ones: the challenge of a 401 or 403, when to retry a 503, and
	// the request id to quote in a bug report.
	corsExposeHeaders = []string{"WWW-Authenticate", "Retry-After", "X-Request-Id"}
)

// newCORS returns the CORS middleware (github.com/rs/cors) for origins (already
// validated: serialized origins, never "*") and the methods the routes use
// (router.Methods). A listed origin gets "Access-Control-Allow-Origin: <origin>" and
// "Access-Control-Allow-Credentials: true" on every answer, refusals (401, 403, 503)
// included, so that the page may send the __session cookie or an Authorization header
// and read what comes back; any other origin gets no CORS header at all, and the
// browser keeps the response from the page. Preflights are answered here, 204, never
// passed on: browsers send them without credentials, so the authentication middleware
// must not see them. A preflight passes for a listed origin, one of methods, and
// request headers among Authorization and Content-Type; the browser caches it for
// corsMaxAge. Every answer varies by Origin. With no origins the middleware is the
// identity. methods must not be empty (rs/cors would then allow GET, HEAD and POST).
func newCORS(origins, methods []string) func(http.Handler) http.Handler {
	if len(origins) == 0 {
		return func(next http.Handler) http.Handler { return next }
	}
	return cors.New(cors.Options{
		AllowedOrigins:   origins,
		AllowedMethods:   methods,
		AllowedHeaders:   corsAllowHeaders,
		ExposedHeaders:   corsExposeHeaders,
		AllowCredentials: true,
		MaxAge:           int(corsMaxAge / time.Second),
	}).Handler
}
