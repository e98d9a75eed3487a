package clerkauth

import (
	"errors"
	"net/http"

	"github.com/unioneyes/authkit/orgctx"
)

// ErrorHandler answers a request the middleware refused. err wraps one of this package's
// sentinels (errors.Is); write nothing from it to the client that Reason would not.
type ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)

// MiddlewareOption configures Middleware.
type MiddlewareOption func(*middleware)

type middleware struct {
	v             *Verifier
	optional      bool
	realm         string
	extract       Extractor
	cookie        string
	onError       ErrorHandler
	skipPreflight bool
}

// Optional lets requests without any token through, anonymous (no Session in the
// context). A request with a token that fails verification is still refused: a bad
// token never becomes anonymous.
func Optional() MiddlewareOption { return func(m *middleware) { m.optional = true } }

// WithRealm sets the realm of the WWW-Authenticate challenges (default "api"). A realm
// that cannot be sent as a plain quoted-string (quotes, backslashes, control characters)
// is replaced by the default.
func WithRealm(realm string) MiddlewareOption { return func(m *middleware) { m.realm = realm } }

// WithCookie sets the name of the session cookie read when there is no Authorization
// header (default "__session"); "" reads no cookie.
func WithCookie(name string) MiddlewareOption { return func(m *middleware) { m.cookie = name } }

// WithExtractor replaces the default extraction (Authorization header, then cookie).
func WithExtractor(e Extractor) MiddlewareOption { return func(m *middleware) { m.extract = e } }

// WithErrorHandler replaces the default answers (DefaultErrorHandler with the realm).
func WithErrorHandler(h ErrorHandler) MiddlewareOption { return func(m *middleware) { m.onError = h } }

// SkipPreflight lets CORS preflight requests (OPTIONS with Origin and
// Access-Control-Request-Method) through unauthenticated: browsers never send
// credentials with them. Off by default; a CORS middleware placed before this one usually
// answers preflights itself.
func SkipPreflight() MiddlewareOption { return func(m *middleware) { m.skipPreflight = true } }

// Middleware authenticates requests with v. A verified session goes into the request
// context (SessionFromContext, and orgctx for its organization; UserFromContext when the
// verifier has a UserStore). By default the session is required. Answers:
//
//   - no token (or a non-Bearer scheme): 401 with a bare Bearer challenge;
//   - a malformed Authorization header, several credentials, a token over the size
//     limit: 400 error="invalid_request";
//   - a token that fails verification, or of a revoked session: 401
//     error="invalid_token";
//   - a user deactivated by webhook: 403 "access_denied";
//   - keys or stores that cannot answer: 503 with Retry-After.
//
// Bodies are small JSON that never carries the token or the reason; the reason reaches
// the audit record (Reason) and the error handler.
func (v *Verifier) Middleware(opts ...MiddlewareOption) func(http.Handler) http.Handler {
	m := &middleware{v: v, realm: orgctx.DefaultRealm, cookie: DefaultCookieName}
	for _, o := range opts {
		if o != nil {
			o(m)
		}
	}
	if m.extract == nil {
		var cookie Extractor
		if m.cookie != "" {
			cookie = CookieToken(m.cookie)
		}
		m.extract = headerThenCookie(cookie)
	}
	if m.onError == nil {
		m.onError = DefaultErrorHandler(m.realm)
	}
	return m.wrap
}

func (m *middleware) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m.skipPreflight && r.Method == http.MethodOptions && r.Header.Get("Origin") != "" &&
			r.Header.Get("Access-Control-Request-Method") != "" {
			next.ServeHTTP(w, r)
			return
		}
		ctx := r.Context()
		token, err := m.extract(r)
		if err == nil {
			var s *Session
			var u *User
			s, u, err = m.v.Authenticate(ctx, token)
			if err == nil {
				annotateSuccess(ctx, s)
				ctx = orgctx.NewContext(NewContext(ctx, s), s.Org)
				if u != nil {
					ctx = withUser(ctx, u)
				}
				next.ServeHTTP(w, r.WithContext(ctx))
				return
			}
		}
		if m.optional && errors.Is(err, ErrTokenMissing) {
			annotateAnonymous(ctx)
			next.ServeHTTP(w, r)
			return
		}
		annotateFailure(ctx, err)
		m.onError(w, r, err)
	})
}

// DefaultErrorHandler answers refused requests as Middleware documents, with realm in the
// challenges.
func DefaultErrorHandler(realm string) ErrorHandler {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		switch {
		case errors.Is(err, ErrTokenMissing), errors.Is(err, ErrUnsupportedScheme):
			orgctx.WriteError(w, realm, http.StatusUnauthorized, orgctx.CodeUnauthorized, "authentication required")
		case errors.Is(err, ErrMultipleCredentials), errors.Is(err, ErrMalformedAuthorization), errors.Is(err, ErrTokenTooLarge):
			orgctx.WriteError(w, realm, http.StatusBadRequest, orgctx.CodeInvalidRequest, "malformed credentials")
		case errors.Is(err, ErrKeysUnavailable), errors.Is(err, ErrStoreUnavailable):
			w.Header().Set("Retry-After", "5")
			orgctx.WriteError(w, realm, http.StatusServiceUnavailable, orgctx.CodeUnavailable, "authentication temporarily unavailable")
		case errors.Is(err, ErrUserDeactivated):
			orgctx.WriteError(w, realm, http.StatusForbidden, orgctx.CodeAccessDenied, "account deactivated")
		default:
			orgctx.WriteError(w, realm, http.StatusUnauthorized, orgctx.CodeInvalidToken, "invalid or expired session token")
		}
	}
}
