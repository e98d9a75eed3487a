package orgctx

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// errorBody is the JSON body of every error answer.
type errorBody struct {
	Error  string `json:"error"`
	Detail string `json:"detail"`
}

// DefaultRealm is the realm of the Bearer challenges authkit writes unless told otherwise.
const DefaultRealm = "api"

// Error codes of RFC 6750 §3.1, and the ones authkit adds for statuses RFC 6750 does not
// cover.
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

// WriteError writes the error responses of authkit's middleware and guards:
//
//   - 400, 401 and 403 with an RFC 6750 code (CodeInvalidRequest, CodeInvalidToken,
//     CodeInsufficientScope) carry "WWW-Authenticate: Bearer realm=…, error=…"; with
//     CodeUnauthorized (no credentials sent) the bare challenge, without error (RFC 6750
//     §3.1); other codes no challenge;
//   - every error is "Cache-Control: no-store" with the JSON body
//     {"error":"<code>","detail":"<detail>"}.
//
// code and detail are fixed strings chosen by authkit or the caller; never pass a token,
// a claim value or an internal error text. A realm that ValidRealm refuses is replaced by
// DefaultRealm.
func WriteError(w http.ResponseWriter, realm string, status int, code, detail string) {
	h := w.Header()
	if status == http.StatusBadRequest || status == http.StatusUnauthorized || status == http.StatusForbidden {
		if realm == "" || !ValidRealm(realm) {
			realm = DefaultRealm
		}
		switch code {
		case CodeUnauthorized:
			h.Set("WWW-Authenticate", `Bearer realm="`+realm+`"`)
		case CodeInvalidRequest, CodeInvalidToken, CodeInsufficientScope:
			h.Set("WWW-Authenticate", `Bearer realm="`+realm+`", error="`+code+`"`)
		}
	}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	body, err := json.Marshal(errorBody{Error: code, Detail: detail})
	if err != nil { // cannot happen for two strings; never write a broken body
		body = []byte(`{"error":"internal"}`)
	}
	body = append(body, '\n')
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
