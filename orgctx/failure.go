package orgctx

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// DefaultRealm is the realm of the Bearer challenges unless one is configured.
const DefaultRealm = "api"

// Codes of a refusal's "error" member: the error codes of RFC 6750 §3.1, then the ones
// authkit adds for what RFC 6750 does not cover.
const (
	// CodeInvalidRequest goes with 400: a malformed request (two credentials, an
	// oversized token, a body that cannot be read).
	CodeInvalidRequest = "invalid_request"
	// CodeInvalidToken goes with 401: the credential was rejected.
	CodeInvalidToken = "invalid_token"
	// CodeInsufficientScope goes with 403: a guard refused the request.
	CodeInsufficientScope = "insufficient_scope"
	// CodeUnauthorized goes with 401 when no credentials were sent: the challenge then
	// has no error attribute (RFC 6750 §3.1).
	CodeUnauthorized = "unauthorized"
	// CodeAccessDenied goes with 403: the credentials are valid but the account may not
	// be used (a deactivated user). No challenge is sent with it.
	CodeAccessDenied = "access_denied"
	// CodeNotFound goes with 404, for example for another organization's object.
	CodeNotFound = "not_found"
	// CodeMethodNotAllowed goes with 405 (and an Allow header).
	CodeMethodNotAllowed = "method_not_allowed"
	// CodeConflict goes with 409: the request cannot be served now (a webhook message
	// another delivery is processing); Retry-After says when to try again.
	CodeConflict = "conflict"
	// CodeContentTooLarge goes with 413: the request body is over the limit.
	CodeContentTooLarge = "content_too_large"
	// CodeInternal goes with 500: the server failed; the client may retry.
	CodeInternal = "internal_error"
	// CodeUnavailable goes with 503: keys or stores cannot answer now; Retry-After says
	// when to try again.
	CodeUnavailable = "temporarily_unavailable"
)

// Failure is a refusal the module answers with.
type Failure struct {
	// Status is the HTTP status: 400, 401, 403, 404, 405, 409, 413, 500 or 503.
	Status int
	// Code is the body's "error": one of the Code constants.
	Code string
	// Detail is the body's "detail": a short generic text for people, never a token, a
	// claim value or the reason a credential failed.
	Detail string
	// Err is why: it wraps a package's sentinel (errors.Is), for logs and audit records,
	// never for the client.
	Err error
	// RetryAfter, when positive, is written as Retry-After in whole seconds, rounded up
	// (503 and 409).
	RetryAfter time.Duration
	// Realm is the realm of the Bearer challenge (400, 401, 403). Refuse fills it in; a
	// Failure written by WriteFailure without one gets no challenge on a 400 or 403 (a
	// refusal that is not about credentials, such as a webhook's).
	Realm string
}

// FailureHandler writes a refusal. [WriteFailure] is the default; a handler of your own
// can log f.Err, change the body, or call WriteFailure for the cases it leaves alone.
type FailureHandler func(w http.ResponseWriter, r *http.Request, f Failure)

// WriteFailure writes f: status f.Status with the JSON body
// {"error":"<f.Code>","detail":"<f.Detail>"}, "Cache-Control: no-store" and
// "X-Content-Type-Options: nosniff", Retry-After when f.RetryAfter is positive (whole
// seconds, rounded up, at least 1), and the RFC 6750 challenge:
//
//   - 400, 401 and 403 with CodeInvalidRequest, CodeInvalidToken or CodeInsufficientScope:
//     "WWW-Authenticate: Bearer realm=…, error=…";
//   - 401 with any other code (CodeUnauthorized: no credentials were sent): the bare
//     challenge, "Bearer realm=…" (RFC 6750 §3.1);
//   - any other status or code: none.
//
// A 400 or 403 with no Realm gets no challenge; a 401 always has one, with DefaultRealm
// when f.Realm is empty. A realm that cannot be written as a plain quoted-string (quotes,
// backslashes, control characters) is replaced by DefaultRealm. A Status outside 400–599
// is written as 500. Headers already set on w, such as Allow, are kept.
func WriteFailure(w http.ResponseWriter, r *http.Request, f Failure) { // r is unused: the signature is FailureHandler's
	if f.Status < 400 || f.Status > 599 {
		f.Status = http.StatusInternalServerError
	}
	body := failureBody(f.Code, f.Detail)
	// One allocation for every value; each header gets its own capacity-1 slice of it, so
	// that appending to one never writes into another. Keys are in canonical form.
	vals := make([]string, 6)
	h := w.Header()
	set := func(i int, key, v string) {
		vals[i] = v
		h[key] = vals[i : i+1 : i+1]
	}
	if c := challenge(f); c != "" {
		set(0, "Www-Authenticate", c)
	}
	if f.RetryAfter > 0 {
		set(1, "Retry-After", strconv.FormatInt(max(1, int64((f.RetryAfter+time.Second-1)/time.Second)), 10))
	}
	set(2, "Content-Type", "application/json")
	set(3, "Cache-Control", "no-store")
	set(4, "X-Content-Type-Options", "nosniff")
	set(5, "Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(f.Status)
	_, _ = w.Write(body)
}

// challenge returns the WWW-Authenticate value for f, or "".
func challenge(f Failure) string {
	bearerCode := f.Code == CodeInvalidRequest || f.Code == CodeInvalidToken || f.Code == CodeInsufficientScope
	switch {
	case f.Status == http.StatusUnauthorized:
	case (f.Status == http.StatusBadRequest || f.Status == http.StatusForbidden) && bearerCode && f.Realm != "":
	default:
		return ""
	}
	realm := f.Realm
	if realm == "" || !validRealm(realm) {
		realm = DefaultRealm
	}
	if !bearerCode {
		return `Bearer realm="` + realm + `"`
	}
	return `Bearer realm="` + realm + `", error="` + f.Code + `"`
}

// validRealm reports whether realm can be written as a quoted-string without escaping:
// printable ASCII without '"' or '\'.
func validRealm(realm string) bool {
	for i := 0; i < len(realm); i++ {
		if c := realm[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// failureBody returns {"error":code,"detail":detail} and a newline, as encoding/json
// writes it.
func failureBody(code, detail string) []byte {
	if plainJSON(code) && plainJSON(detail) { // the usual case: no escaping, one allocation
		b := make([]byte, 0, len(`{"error":"","detail":""}`)+len(code)+len(detail)+1)
		b = append(b, `{"error":"`...)
		b = append(b, code...)
		b = append(b, `","detail":"`...)
		b = append(b, detail...)
		return append(b, "\"}\n"...)
	}
	b, err := json.Marshal(struct {
		Error  string `json:"error"`
		Detail string `json:"detail"`
	}{code, detail})
	if err != nil { // cannot happen for two strings; never write a broken body
		b = []byte(`{"error":"internal_error","detail":"internal error"}`)
	}
	return append(b, '\n')
}

// plainJSON reports whether encoding/json writes s unchanged inside quotes: printable
// ASCII without '"', '\' and the HTML characters it escapes.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}
