package clerkauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/unioneyes/authkit/orgctx"
)

// ErrorHandler answers a request the middleware refused, and the refusals of the guards
// downstream of it (orgctx's, RequireScope, RequireReverification). err wraps one of this
// package's sentinels, or orgctx's for an orgctx guard (errors.Is); write nothing from it
// to the client that Reason would not.
type ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)

// MiddlewareOption configures Middleware.
type MiddlewareOption func(*middleware)

type middleware struct {
	v             *Verifier
	optional      bool
	realm         string
	extract       Extractor // a custom extractor, or nil for header then cookie
	cookie        Extractor // the session cookie, or nil
	cookieName    string
	onError       ErrorHandler
	onFailure     orgctx.FailureHandler // onError for the guards downstream; nil: the default
	inContext     bool                  // the realm or the handler is not the default: put them in the context
	skipPreflight bool
	accept        []TokenKind
}

// Optional lets requests without any token through, anonymous (no Session in the
// context); an Authorization header of another scheme (Basic …) counts as no token. A
// request with a token that fails verification is still refused: a bad token never
// becomes anonymous.
func Optional() MiddlewareOption { return func(m *middleware) { m.optional = true } }

// WithRealm sets the realm of the WWW-Authenticate challenges (default "api"), of the
// middleware and of the guards downstream of it. A realm that cannot be sent as a plain
// quoted-string (quotes, backslashes, control characters) is replaced by the default.
func WithRealm(realm string) MiddlewareOption { return func(m *middleware) { m.realm = realm } }

// WithCookie sets the name of the session cookie read when there is no Authorization
// header (default "__session"); "" reads no cookie.
func WithCookie(name string) MiddlewareOption { return func(m *middleware) { m.cookieName = name } }

// WithExtractor replaces the default extraction (Authorization header, then cookie). A
// token found by a custom extractor is only ever accepted as a session token, never as a
// machine credential.
func WithExtractor(e Extractor) MiddlewareOption { return func(m *middleware) { m.extract = e } }

// Accept sets the kinds of credential the route takes (default: KindSession only), e.g.
// Accept(KindSession, KindAPIKey) for an endpoint both users and integrations call.
// Machine credentials are verified by Config.Machine, and only ever taken from the
// Authorization header: one in the session cookie is refused.
func Accept(kinds ...TokenKind) MiddlewareOption {
	kinds = append([]TokenKind(nil), kinds...)
	return func(m *middleware) { m.accept = kinds }
}

// WithErrorHandler replaces the default answers (DefaultErrorHandler with the realm), of
// the middleware and of the guards downstream of it.
func WithErrorHandler(h ErrorHandler) MiddlewareOption { return func(m *middleware) { m.onError = h } }

// SkipPreflight passes CORS preflight requests to the next handler unauthenticated:
// browsers never send credentials with them. Only a genuine preflight is passed: method
// OPTIONS with both an Origin and an Access-Control-Request-Method header; any other
// OPTIONS request is authenticated as usual. The next handler receives these requests
// with no session, principal or user in the context (a token the request carries anyway
// is not read), so it must answer them without authority: the CORS headers, no data.
// Off by default; a CORS middleware placed before this one usually answers preflights
// itself, which is better.
func SkipPreflight() MiddlewareOption { return func(m *middleware) { m.skipPreflight = true } }

// Middleware authenticates requests with v. A verified session goes into the request
// context (SessionFromContext, and orgctx for its organization; UserFromContext when the
// verifier has a users store), as does a machine credential a route accepts
// (PrincipalFromContext; UserFromContext too when it acts for a user). By default the
// session is required. Answers:
//
//   - no token (or a non-Bearer scheme): 401 with a bare Bearer challenge;
//   - a malformed Authorization header, several credentials, a token over the size
//     limit: 400 error="invalid_request";
//   - a token that fails verification, or of a revoked session: 401
//     error="invalid_token";
//   - a user deactivated by webhook: 403 "access_denied", with a session or with a
//     machine credential acting for the user (an OAuth access token, a user's API key);
//   - keys or stores that cannot answer: 503 with Retry-After (for a store whose breaker
//     is open, the seconds until it lets a request through again; else 5).
//
// Bodies are small JSON that never carries the token or the reason; the reason reaches
// the audit record (Reason) and the error handler.
func (v *Verifier) Middleware(opts ...MiddlewareOption) func(http.Handler) http.Handler {
	m := &middleware{v: v, realm: orgctx.DefaultRealm, cookieName: DefaultCookieName, accept: []TokenKind{KindSession}}
	for _, o := range opts {
		if o != nil {
			o(m)
		}
	}
	if m.cookieName != "" {
		m.cookie = CookieToken(m.cookieName)
	}
	if m.realm == "" {
		m.realm = orgctx.DefaultRealm
	}
	if m.onError == nil {
		m.onError = DefaultErrorHandler(m.realm)
	} else {
		onError := m.onError
		m.onFailure = func(w http.ResponseWriter, r *http.Request, f orgctx.Failure) { onError(w, r, f.Err) }
	}
	m.inContext = m.realm != orgctx.DefaultRealm || m.onFailure != nil
	return m.wrap
}

func (m *middleware) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { m.serve(next, w, r) })
}

// serve passes r to next with its credential in the context, anonymous when the route
// is Optional and r carries none, or refuses it with the error handler.
func (m *middleware) serve(next http.Handler, w http.ResponseWriter, r *http.Request) {
	if m.skipPreflight && isPreflight(r) {
		next.ServeHTTP(w, m.withFailureHandler(r))
		return
	}
	ctx, err := m.authenticate(r)
	if err == nil {
		if m.inContext {
			ctx = orgctx.WithFailureHandler(ctx, m.realm, m.onFailure)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
		return
	}
	if m.optional && (errors.Is(err, ErrTokenMissing) || errors.Is(err, ErrUnsupportedScheme)) {
		annotateAnonymous(r.Context())
		next.ServeHTTP(w, m.withFailureHandler(r))
		return
	}
	m.refuse(w, r, err)
}

// withFailureHandler returns r with the realm and the failure handler in its context for
// the guards downstream, or r itself when both are the defaults (the guards' own).
func (m *middleware) withFailureHandler(r *http.Request) *http.Request {
	if !m.inContext {
		return r
	}
	return r.WithContext(orgctx.WithFailureHandler(r.Context(), m.realm, m.onFailure))
}

// isPreflight reports whether r is a CORS preflight: OPTIONS with an Origin and an
// Access-Control-Request-Method header.
func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Origin") != "" &&
		r.Header.Get("Access-Control-Request-Method") != ""
}

// authenticate extracts and verifies r's credential and returns r's context carrying it.
func (m *middleware) authenticate(r *http.Request) (context.Context, error) {
	token, fromHeader, err := m.token(r)
	if err != nil {
		return nil, err
	}
	// A token of no known form is a (malformed) session token unless the route takes
	// service-account keys: Verify then says what is wrong with it.
	if kind := tokenKindOf(token); kind != KindSession && (kind != KindServiceAccount || m.accepts(kind)) {
		return m.machineContext(r, token, kind, fromHeader)
	}
	return m.sessionContext(r.Context(), token)
}

// sessionContext verifies a session token and checks the stores (revocation, the user),
// returning ctx with the session, its organization and the user.
func (m *middleware) sessionContext(ctx context.Context, token string) (context.Context, error) {
	if !m.accepts(KindSession) {
		return nil, ErrKindNotAccepted
	}
	s, err := m.v.Verify(ctx, token)
	if err != nil {
		return nil, err
	}
	// A valid token: whoever it is, the audit record names them, also when a store then
	// refuses them (revoked, deactivated).
	annotateSuccess(ctx, s)
	u, err := m.v.checkStores(ctx, s)
	if err != nil {
		return nil, err
	}
	ctx = orgctx.NewContext(NewContext(ctx, s), s.Org)
	if u != nil {
		ctx = withUser(ctx, u)
	}
	return ctx, nil
}

// machineContext verifies a machine credential of a kind the route accepts and returns
// r's context with its principal and, when it acts for a user, that user.
func (m *middleware) machineContext(r *http.Request, token string, kind TokenKind, fromHeader bool) (context.Context, error) {
	ctx := r.Context()
	p, err := m.machine(r, token, kind, fromHeader)
	if err != nil {
		return nil, err
	}
	annotatePrincipal(ctx, p)
	// A credential acting for a user meets that user's checks, as a session does.
	u, err := m.v.s.users.resolvePrincipalUser(ctx, p)
	if err != nil {
		return nil, err
	}
	// Authenticated, without an active organization: the orgctx guards answer 403, not
	// 401.
	ctx = orgctx.NewContext(withPrincipal(ctx, p), orgctx.Org{})
	if u != nil {
		ctx = withUser(ctx, u)
	}
	return ctx, nil
}

// refuse records why r was refused in the audit record and answers with the error
// handler.
func (m *middleware) refuse(w http.ResponseWriter, r *http.Request, err error) {
	annotateFailure(r.Context(), err)
	m.onError(w, r, err)
}

// token extracts the credential, reporting whether it came from the Authorization header.
func (m *middleware) token(r *http.Request) (token string, fromHeader bool, err error) {
	if m.extract != nil {
		token, err = m.extract(r)
		return token, false, err
	}
	token, err = BearerToken(r)
	// An Authorization header of another scheme (Basic, for a proxy) is not ours: the
	// session cookie may still authenticate the request.
	if (errors.Is(err, ErrTokenMissing) || errors.Is(err, ErrUnsupportedScheme)) && m.cookie != nil {
		ctoken, cerr := m.cookie(r)
		if errors.Is(cerr, ErrTokenMissing) {
			return "", false, err
		}
		return ctoken, false, cerr
	}
	return token, err == nil, err
}

func (m *middleware) accepts(kind TokenKind) bool { return slices.Contains(m.accept, kind) }

// machine verifies a machine credential of a kind the route accepts.
func (m *middleware) machine(r *http.Request, token string, kind TokenKind, fromHeader bool) (*Principal, error) {
	if !fromHeader {
		return nil, fmt.Errorf("%w: a machine credential outside the Authorization header", ErrKindNotAccepted)
	}
	if !m.accepts(kind) || m.v.s.machine == nil {
		return nil, fmt.Errorf("%w: %s", ErrKindNotAccepted, kind)
	}
	p, err := m.v.s.machine.VerifyMachineToken(r.Context(), token)
	if err != nil {
		return nil, err
	}
	if p == nil || !m.accepts(p.Kind) {
		return nil, fmt.Errorf("%w: the verifier returned another kind", ErrKindNotAccepted)
	}
	return p, nil
}

// DefaultErrorHandler answers refused requests as Middleware documents, with realm in the
// challenges.
func DefaultErrorHandler(realm string) ErrorHandler {
	if realm == "" {
		realm = orgctx.DefaultRealm
	}
	return func(w http.ResponseWriter, r *http.Request, err error) {
		f := failure(err)
		f.Realm = realm
		orgctx.WriteFailure(w, r, f)
	}
}

// failure returns the answer to a request the middleware refused with err.
func failure(err error) orgctx.Failure {
	switch {
	case errors.Is(err, ErrTokenMissing), errors.Is(err, ErrUnsupportedScheme):
		return orgctx.Failure{Status: http.StatusUnauthorized, Code: orgctx.CodeUnauthorized, Detail: "authentication required", Err: err}
	case errors.Is(err, ErrMultipleCredentials), errors.Is(err, ErrMalformedAuthorization), errors.Is(err, ErrTokenTooLarge):
		return orgctx.Failure{Status: http.StatusBadRequest, Code: orgctx.CodeInvalidRequest, Detail: "malformed credentials", Err: err}
	case errors.Is(err, ErrKeysUnavailable), errors.Is(err, ErrStoreUnavailable), errors.Is(err, ErrBackendAPI):
		return orgctx.Failure{Status: http.StatusServiceUnavailable, Code: orgctx.CodeUnavailable, Detail: "authentication temporarily unavailable", Err: err, RetryAfter: retryAfter(err)}
	case errors.Is(err, ErrUserDeactivated):
		return orgctx.Failure{Status: http.StatusForbidden, Code: orgctx.CodeAccessDenied, Detail: "account deactivated", Err: err}
	default:
		return orgctx.Failure{Status: http.StatusUnauthorized, Code: orgctx.CodeInvalidToken, Detail: "invalid or expired session token", Err: err}
	}
}
