package orgctx

// This file is the module's one HTTP refusal writer (see the package documentation):
// every non-2xx answer authkit writes goes through WriteError or Refuse.

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// errorBody is the JSON body of every refusal.
type errorBody struct {
	Error  string `json:"error"`
	Detail string `json:"detail"`
}

// DefaultRealm is the realm of the Bearer challenges authkit writes unless told otherwise.
const DefaultRealm = "api"

// Error codes of RFC 6750 §3.1, and the ones authkit adds for statuses RFC 6750 does not
// cover. Each is the "error" member of a refusal's body.
const (
	CodeInvalidRequest    = "invalid_request"
	CodeInvalidToken      = "invalid_token"
	CodeInsufficientScope = "insufficient_scope"
	// CodeUnauthorized is the body's code when no credentials were sent: the challenge
	// then has no error attribute (RFC 6750 §3.1).
	CodeUnauthorized = "unauthorized"
	CodeNotFound     = "not_found"
	CodeUnavailable  = "temporarily_unavailable"
	// CodeAccessDenied: the credentials are valid but the account may not be used (a
	// deactivated user). Not an RFC 6750 code: no challenge is sent with it.
	CodeAccessDenied = "access_denied"
	// CodeMethodNotAllowed goes with 405 (and an Allow header).
	CodeMethodNotAllowed = "method_not_allowed"
	// CodeContentTooLarge goes with 413: the request body is over the limit.
	CodeContentTooLarge = "content_too_large"
	// CodeConflict goes with 409: the request cannot be served now (a webhook message
	// another delivery is processing); Retry-After says when to try again.
	CodeConflict = "conflict"
	// CodeInternal goes with 500: the server failed; the client may retry.
	CodeInternal = "internal_error"
)

// ValidRealm reports whether realm can be written as a quoted-string without escaping:
// printable ASCII without '"' or '\'.
func ValidRealm(realm string) bool {
	for i := 0; i < len(realm); i++ {
		if c := realm[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// WriteError writes a refusal of a request's credentials or authority, as authkit's
// middleware, guards and RequireScope do: Refuse's answer, plus a Bearer challenge for 400,
// 401 and 403 with an RFC 6750 code:
//
//   - CodeInvalidRequest, CodeInvalidToken, CodeInsufficientScope: "WWW-Authenticate:
//     Bearer realm=…, error=…";
//   - CodeUnauthorized (no credentials sent): the bare challenge, without error (RFC 6750
//     §3.1);
//   - other codes and statuses: no challenge.
//
// A realm that ValidRealm refuses, or "", is replaced by DefaultRealm.
func WriteError(w http.ResponseWriter, realm string, status int, code, detail string) {
	if status == http.StatusBadRequest || status == http.StatusUnauthorized || status == http.StatusForbidden {
		if realm == "" || !ValidRealm(realm) {
			realm = DefaultRealm
		}
		switch code {
		case CodeUnauthorized:
			w.Header().Set("WWW-Authenticate", `Bearer realm="`+realm+`"`)
		case CodeInvalidRequest, CodeInvalidToken, CodeInsufficientScope:
			w.Header().Set("WWW-Authenticate", `Bearer realm="`+realm+`", error="`+code+`"`)
		}
	}
	Refuse(w, status, code, detail)
}

// Refuse writes a refusal that is not about credentials (a webhook delivery, a route that
// does not exist, a store that cannot answer): status with the JSON body
// {"error":"<code>","detail":"<detail>"}, "Cache-Control: no-store" and
// "X-Content-Type-Options: nosniff", and no WWW-Authenticate challenge. A 401 needs one
// (RFC 9110 §15.5.2): write it with WriteError. Headers already set on w, such as
// Retry-After or Allow, are kept.
//
// code and detail are fixed strings chosen by authkit or the caller; never pass a token,
// a claim value or an internal error text.
func Refuse(w http.ResponseWriter, status int, code, detail string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	body, err := json.Marshal(errorBody{Error: code, Detail: detail})
	if err != nil { // cannot happen for two strings; never write a broken body
		body = []byte(`{"error":"internal_error","detail":"internal error"}`)
	}
	body = append(body, '\n')
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
