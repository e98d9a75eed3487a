package orgctx_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/orgctx"
)

func TestWriteFailureChallenge(t *testing.T) {
	for _, tc := range []struct {
		status    int
		code      string
		realm     string
		challenge string
	}{
		{401, orgctx.CodeUnauthorized, "api", `Bearer realm="api"`},
		{401, orgctx.CodeUnauthorized, "", `Bearer realm="api"`},
		{401, orgctx.CodeInvalidToken, "x", `Bearer realm="x", error="invalid_token"`},
		{401, orgctx.CodeInvalidToken, "", `Bearer realm="api", error="invalid_token"`},
		{401, orgctx.CodeAccessDenied, "x", `Bearer realm="x"`},
		{400, orgctx.CodeInvalidRequest, "api", `Bearer realm="api", error="invalid_request"`},
		{400, orgctx.CodeInvalidRequest, "", ""},
		{403, orgctx.CodeInsufficientScope, "bad\"realm", `Bearer realm="api", error="insufficient_scope"`},
		{403, orgctx.CodeInsufficientScope, "a\nb", `Bearer realm="api", error="insufficient_scope"`},
		{403, orgctx.CodeInsufficientScope, `a\b`, `Bearer realm="api", error="insufficient_scope"`},
		{403, orgctx.CodeInsufficientScope, "", ""},
		{403, orgctx.CodeAccessDenied, "api", ""},
		{404, orgctx.CodeNotFound, "api", ""},
		{405, orgctx.CodeMethodNotAllowed, "api", ""},
		{503, orgctx.CodeUnavailable, "api", ""},
		{503, orgctx.CodeInvalidToken, "api", ""},
	} {
		rec := httptest.NewRecorder()
		orgctx.WriteFailure(rec, nil, orgctx.Failure{Status: tc.status, Code: tc.code, Detail: "d", Realm: tc.realm})
		require.Equal(t, tc.status, rec.Code)
		require.Equal(t, tc.challenge, rec.Header().Get("WWW-Authenticate"), "%d %s %q", tc.status, tc.code, tc.realm)
	}
}

// The body is {"error","detail"} exactly as encoding/json writes it, whatever the
// strings; the headers are the module's, and those the caller set are kept.
func TestWriteFailureBodyAndHeaders(t *testing.T) {
	for _, detail := range []string{"insufficient permissions", `a "detail" <b> & \ é`, "", "tab\there", "\u2028"} {
		rec := httptest.NewRecorder()
		rec.Header().Set("Allow", "POST")
		orgctx.WriteFailure(rec, nil, orgctx.Failure{Status: 405, Code: orgctx.CodeMethodNotAllowed, Detail: detail})
		require.Equal(t, 405, rec.Code)
		h := rec.Header()
		assert.Equal(t, "POST", h.Get("Allow"))
		assert.Equal(t, "application/json", h.Get("Content-Type"))
		assert.Equal(t, "no-store", h.Get("Cache-Control"))
		assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
		assert.Equal(t, strconv.Itoa(rec.Body.Len()), h.Get("Content-Length"))
		assert.Empty(t, h.Values("Retry-After"))
		assert.Equal(t, jsonBody(t, orgctx.CodeMethodNotAllowed, detail), rec.Body.String())
	}
}

func TestWriteFailureRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{time.Nanosecond, "1"},
		{time.Second, "1"},
		{1500 * time.Millisecond, "2"},
		{30 * time.Second, "30"},
		{0, ""},
		{-time.Second, ""},
	} {
		rec := httptest.NewRecorder()
		orgctx.WriteFailure(rec, nil, orgctx.Failure{Status: 503, Code: orgctx.CodeUnavailable, Detail: "d", RetryAfter: tc.d})
		assert.Equal(t, tc.want, rec.Header().Get("Retry-After"), "%s", tc.d)
	}
	// A Retry-After the caller set stays when the Failure has none.
	rec := httptest.NewRecorder()
	rec.Header().Set("Retry-After", "7")
	orgctx.WriteFailure(rec, nil, orgctx.Failure{Status: 409, Code: orgctx.CodeConflict, Detail: "d"})
	assert.Equal(t, "7", rec.Header().Get("Retry-After"))
}

// A Failure that is not a refusal status is written as 500 rather than as a success (or
// a panic in net/http, for 0).
func TestWriteFailureStatusOutOfRange(t *testing.T) {
	for _, status := range []int{0, 200, 302, 600, -1} {
		rec := httptest.NewRecorder()
		orgctx.WriteFailure(rec, nil, orgctx.Failure{Status: status, Code: orgctx.CodeInternal, Detail: "d"})
		assert.Equal(t, http.StatusInternalServerError, rec.Code, "status %d", status)
	}
}

// Refuse answers with the handler and realm in the request's context, defaults otherwise;
// a Failure's own realm wins.
func TestRefuse(t *testing.T) {
	plain := httptest.NewRequest(http.MethodGet, "/", nil)
	rec := httptest.NewRecorder()
	orgctx.Refuse(rec, plain, orgctx.Failure{Status: 403, Code: orgctx.CodeInsufficientScope, Detail: "d"})
	require.Equal(t, 403, rec.Code)
	require.Equal(t, `Bearer realm="api", error="insufficient_scope"`, rec.Header().Get("WWW-Authenticate"))

	realmOnly := plain.WithContext(orgctx.WithFailureHandler(plain.Context(), "ctx-realm", nil))
	rec = httptest.NewRecorder()
	orgctx.Refuse(rec, realmOnly, orgctx.Failure{Status: 400, Code: orgctx.CodeInvalidRequest, Detail: "d"})
	require.Equal(t, `Bearer realm="ctx-realm", error="invalid_request"`, rec.Header().Get("WWW-Authenticate"))
	rec = httptest.NewRecorder()
	orgctx.Refuse(rec, realmOnly, orgctx.Failure{Status: 400, Code: orgctx.CodeInvalidRequest, Detail: "d", Realm: "own"})
	require.Equal(t, `Bearer realm="own", error="invalid_request"`, rec.Header().Get("WWW-Authenticate"))

	var got []orgctx.Failure
	handled := plain.WithContext(orgctx.WithFailureHandler(plain.Context(), "", func(w http.ResponseWriter, r *http.Request, f orgctx.Failure) {
		got = append(got, f)
		w.WriteHeader(http.StatusTeapot)
	}))
	rec = httptest.NewRecorder()
	orgctx.Refuse(rec, handled, orgctx.Failure{Status: 404, Code: orgctx.CodeNotFound, Detail: "d"})
	require.Equal(t, http.StatusTeapot, rec.Code)
	require.Len(t, got, 1)
	require.Equal(t, orgctx.Failure{Status: 404, Code: orgctx.CodeNotFound, Detail: "d", Realm: orgctx.DefaultRealm}, got[0])
}

// failureBody's fast path writes what encoding/json writes.
func FuzzWriteFailureBody(f *testing.F) {
	for _, s := range []string{"", "plain", `"`, `\`, "<>&", "é", "\x00", "\x7f", "\xff", "\u2028"} {
		f.Add("invalid_token", s)
	}
	f.Fuzz(func(t *testing.T, code, detail string) {
		rec := httptest.NewRecorder()
		orgctx.WriteFailure(rec, nil, orgctx.Failure{Status: 400, Code: code, Detail: detail})
		require.Equal(t, jsonBody(t, code, detail), rec.Body.String())
	})
}

// jsonBody is the refusal body as encoding/json writes it.
func jsonBody(t *testing.T, code, detail string) string {
	b, err := json.Marshal(struct {
		Error  string `json:"error"`
		Detail string `json:"detail"`
	}{code, detail})
	require.NoError(t, err)
	return string(b) + "\n"
}
