package machine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth"
)

func TestBackendAPIAnswerMustBeTheEndpointsObject(t *testing.T) {
	// F6: a wrong CLERK_API_URL, or a catch-all proxy answering 200 to everything, must
	// authenticate nothing: a 200 is a credential only if it is the endpoint's object.
	bodies := []struct{ name, body string }{
		{"empty object", `{}`},
		{"id only", `{"id":"x"}`},
		{"id and subject", `{"id":"ak_0123456789abcdef0123456789abcdef","subject":"user_1","scopes":["admin"]}`},
		{"everything but the object", `{"id":"x","subject":"user_1","revoked":false,"expired":false,"expiration":null}`},
		{"object null", `{"object":null,"id":"x","subject":"user_1"}`},
		{"object empty", `{"object":"","id":"x","subject":"user_1"}`},
		{"object not a string", `{"object":1,"id":"x","subject":"user_1"}`},
		{"another object", `{"object":"session","id":"x","subject":"user_1"}`},
		{"OAuth's old object name", `{"object":"oauth_access_token","id":"x","subject":"user_1"}`},
		{"inactive, outside the OAuth endpoint", `{"active":false}`},
		{"active true", `{"active":true,"id":"x","subject":"user_1"}`},
		{"not JSON", `<html><body>OK</body></html>`},
		{"empty body", ``},
		{"null", `null`},
		{"array", `[{"object":"api_key","id":"x","subject":"user_1"}]`},
		{"string", `"api_key"`},
	}
	for _, bb := range bodies {
		t.Run(bb.name, func(t *testing.T) {
			e := newBAPIEnv(t, nil)
			e.fake.fallback = func(string, string) bapiAnswer { return bapiAnswer{body: bb.body} }
			tokens := []string{bapiAK, bapiMT, bapiOAT}
			if bb.body == `{"active":false}` {
				tokens = tokens[:2] // the OAuth endpoint's answer for an expired token
			}
			for i := range 2 {
				for _, token := range tokens {
					p, err := e.b.VerifyMachineToken(context.Background(), token)
					require.ErrorIs(t, err, clerkauth.ErrBackendAPI, "%s", token[:3])
					require.Nil(t, p)
					for _, s := range []error{clerkauth.ErrMachineTokenInvalid, clerkauth.ErrMachineTokenExpired, clerkauth.ErrMachineTokenRevoked,
						ErrBackendAPIRateLimited, ErrBackendAPIThrottled} {
						assert.NotErrorIs(t, err, s)
					}
					assert.NotContains(t, err.Error(), token)
				}
				assert.EqualValues(t, (i+1)*len(tokens), e.fake.hits.Load(), "never cached")
			}
			// The operator's to fix: an Error, once a minute at most.
			assert.Equal(t, 1, e.log.count("ERROR"), "%s", e.log)
			assert.Contains(t, e.log.String(), "BackendAPIConfig.URL")
			assert.Contains(t, e.log.String(), "status=200")
			for _, token := range tokens {
				assert.NotContains(t, e.log.String(), token)
			}
		})
	}

	t.Run("each endpoint wants its own object", func(t *testing.T) {
		e := newBAPIEnv(t, nil)
		objects := map[string]string{bapiAK: "api_key", bapiMT: "machine_to_machine_token", bapiOAT: "clerk_idp_oauth_access_token"}
		for token := range objects {
			for other, object := range objects {
				if other == token {
					continue
				}
				e.fake.set(token, bapiAnswer{body: `{"object":"` + object + `","id":"x","subject":"user_1"}`})
				_, err := e.b.VerifyMachineToken(context.Background(), token)
				require.ErrorIs(t, err, clerkauth.ErrBackendAPI, "%s answered with %s", token[:3], object)
			}
			e.fake.set(token, bapiAnswer{body: `{"object":"` + objects[token] + `","id":"x","subject":"user_1"}`})
			p, err := e.b.VerifyMachineToken(context.Background(), token)
			require.NoError(t, err, "%s answered with its own object", token[:3])
			assert.Equal(t, "user_1", p.Subject)
		}
	})
}

func TestBackendAPINotClerkErrorBodyIsNotARefusal(t *testing.T) {
	bodies := []struct{ name, body string }{
		{"empty", ``},
		{"generic 404 page", "404 page not found\n"},
		{"html", `<html><body><h1>Not Found</h1></body></html>`},
		{"empty object", `{}`},
		{"other JSON error", `{"error":"not_found","message":"no route"}`},
		{"errors null", `{"errors":null}`},
		{"errors empty", `{"errors":[]}`},
		{"errors not an array", `{"errors":"not found"}`},
		{"error without code", `{"errors":[{"message":"not found"}]}`},
		{"empty code", `{"errors":[{"code":""}]}`},
		{"one error without code", `{"errors":[{"code":"resource_not_found"},{"message":"x"}]}`},
		{"error not an object", `{"errors":["resource_not_found"]}`},
		{"top-level array", `[{"code":"resource_not_found"}]`},
		{"truncated", `{"errors":[{"code":"resource_not_found"}`},
		{"code not a string", `{"errors":[{"code":404}]}`},
		{"code null", `{"errors":[{"code":null}]}`},
		{"error null", `{"errors":[null]}`},
		{"other case", `{"Errors":[{"Code":"resource_not_found"}]}`},
		{"too large", `{"errors":[{"code":"resource_not_found","message":"` + strings.Repeat("x", 70<<10) + `"}]}`},
	}
	for _, status := range []int{400, 404, 422} {
		for _, bb := range bodies {
			t.Run(fmt.Sprint(status, " ", bb.name), func(t *testing.T) {
				e := newBAPIEnv(t, nil)
				e.fake.set(bapiAK, bapiAnswer{status: status, body: bb.body})
				for i := range 2 {
					p, err := e.b.VerifyMachineToken(context.Background(), bapiAK)
					require.ErrorIs(t, err, clerkauth.ErrBackendAPI)
					assert.NotErrorIs(t, err, clerkauth.ErrMachineTokenInvalid)
					assert.Nil(t, p)
					assert.EqualValues(t, i+1, e.fake.hits.Load(), "not cached")
				}
				assert.Equal(t, 1, e.log.count("ERROR"), "logged once a minute at most:\n%s", e.log)
				assert.Contains(t, e.log.String(), "BackendAPIConfig.URL")
				assert.Contains(t, e.log.String(), fmt.Sprintf("status=%d", status))
				assert.NotContains(t, e.log.String(), bapiAK)
				assert.NotContains(t, e.log.String(), bapiTestSecret)
			})
		}
	}
}

func TestBackendAPIURLWithoutV1(t *testing.T) {
	// The classic misconfiguration: the base URL without /v1, where a server answers a
	// generic 404 page. Every key would look invalid (401) if such a 404 were a refusal.
	e := newBAPIEnv(t, func(c *BackendAPIConfig) { c.URL = strings.TrimSuffix(c.URL, "/v1") })
	e.setGood(bapiAK)
	for i := range 3 {
		_, err := e.b.VerifyMachineToken(context.Background(), bapiAK)
		require.ErrorIs(t, err, clerkauth.ErrBackendAPI)
		require.NotErrorIs(t, err, clerkauth.ErrMachineTokenInvalid)
		assert.EqualValues(t, i+1, e.fake.strays.Load(), "the wrong path was asked, and the answer not cached")
	}
	assert.Equal(t, 1, e.log.count("ERROR"))
	assert.Contains(t, e.log.String(), "content_type=\"text/plain; charset=utf-8\"")

	e.clock.Advance(time.Minute)
	_, err := e.b.VerifyMachineToken(context.Background(), bapiMT)
	require.ErrorIs(t, err, clerkauth.ErrBackendAPI)
	assert.Equal(t, 2, e.log.count("ERROR"))
	assert.Contains(t, e.log.String(), "suppressed=2")
}

// clerkErrorBodyOracle is an independent statement of Clerk's error format.
func clerkErrorBodyOracle(data []byte) bool {
	var v any
	if json.Unmarshal(data, &v) != nil {
		return false
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return false
	}
	list, ok := obj["errors"].([]any)
	if !ok || len(list) == 0 {
		return false
	}
	for _, item := range list {
		e, ok := item.(map[string]any)
		if !ok {
			return false
		}
		if code, ok := e["code"].(string); !ok || code == "" {
			return false
		}
	}
	return true
}

func FuzzClerkErrorBody(f *testing.F) {
	for _, s := range []string{
		clerkNotFound, `{"errors":[{"code":"x"}]}`, `{"errors":[{"code":"a"},{"code":"b","meta":{}}],"meta":{}}`,
		"", "404 page not found\n", `<html></html>`, `{}`, `[]`, `null`, `{"errors":null}`, `{"errors":[]}`,
		`{"errors":"x"}`, `{"errors":[null]}`, `{"errors":[{"code":""}]}`, `{"errors":[{"code":1}]}`,
		`{"errors":[{"code":"x"},{}]}`, `{"Errors":[{"code":"x"}]}`, `{"errors":[{"CODE":"x"}]}`,
		`{"errors":[{"code":"x"}]`, `{"errors":[{"code":"x"}]} trailing`, `{"errors":[{"code":"x"}],"errors":[]}`,
		`{"errors":[{"code":"\u0000"}]}`, "{\"errors\":[{\"code\":\"\xff\"}]}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, want := isClerkErrorBody(data), clerkErrorBodyOracle(data); got != want {
			t.Fatalf("isClerkErrorBody(%q) = %v, want %v", data, got, want)
		}
	})
}

// FuzzBackendAPIAnswer checks parseBackendAPIAnswer against an independent statement of
// F6: a principal only from the endpoint's object (member "object", exactly), with an id
// and a subject; a refusal only as one of the refusal sentinels; an answer without the
// endpoint's object is errNotClerkAnswer, except the OAuth endpoint's {"active":false}.
func FuzzBackendAPIAnswer(f *testing.F) {
	for _, s := range []string{
		`{"object":"api_key","id":"ak_1","subject":"user_1","scopes":["a"],"claims":{"k":1},"expiration":null}`,
		`{"object":"machine_to_machine_token","id":"mt_1","subject":"mch_1","revoked":true}`,
		`{"object":"clerk_idp_oauth_access_token","id":"oat_1","client_id":"c","subject":"user_1","expired":true}`,
		`{"object":"api_key","id":"ak_1","subject":"user_1","expiration":1}`,
		`{"active":false}`, `{"active":null}`, `{"active":false,"id":"x"}`, `{"active":true}`,
		`{}`, `{"id":"x"}`, `{"id":"x","subject":"user_1"}`, `{"Object":"api_key","id":"x","subject":"u"}`,
		`{"object":"api_key","object":"session","id":"x","subject":"u"}`, `{"object":null,"id":"x","subject":"u"}`,
		`{"object":"api_key","id":"x"}`, `{"object":"api_key","id":"x","subject":""}`, `{"object":"api_key","ID":"x","Subject":"u"}`,
		`{"object":"api_key","id":"x","subject":"u","revoked":"no"}`, `null`, `[]`, `"api_key"`, ``, `<html>`,
	} {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(2))
	}
	b, err := NewBackendAPI(BackendAPIConfig{SecretKey: bapiTestSecret})
	require.NoError(f, err)
	now := newBAPIClock().Now()
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		ep := &b.endpoints[int(which)%len(b.endpoints)]
		v, err := parseBackendAPIAnswer(ep, data, now)
		var m map[string]any
		isObject := json.Unmarshal(data, &m) == nil && m != nil
		object, _ := m["object"].(string)
		active, hasActive := m["active"].(bool)
		oauthInactive := isObject && ep.kind == clerkauth.KindOAuthToken && len(m) == 1 && hasActive && !active
		switch {
		case err != nil:
			if v.p != nil || v.err != nil {
				t.Fatalf("an error with a verdict: %+v", v)
			}
			if (!isObject || object != ep.object) && !oauthInactive && !errors.Is(err, errNotClerkAnswer) {
				t.Fatalf("%q for %s: %v, want errNotClerkAnswer", data, ep.kind, err)
			}
		case v.p != nil:
			if !isObject || object != ep.object {
				t.Fatalf("%q for %s: a principal without the endpoint's object", data, ep.kind)
			}
			if v.p.Kind != ep.kind || v.p.ID == "" || v.p.Subject == "" {
				t.Fatalf("%q for %s: principal %+v", data, ep.kind, *v.p)
			}
		case v.err != nil:
			if !errors.Is(v.err, clerkauth.ErrMachineTokenInvalid) && !errors.Is(v.err, clerkauth.ErrMachineTokenRevoked) &&
				!errors.Is(v.err, clerkauth.ErrMachineTokenExpired) {
				t.Fatalf("%q: refusal %v", data, v.err)
			}
			if !oauthInactive && (!isObject || object != ep.object) {
				t.Fatalf("%q for %s: a refusal without the endpoint's object", data, ep.kind)
			}
		default:
			t.Fatalf("%q: neither verdict nor error", data)
		}
	})
}
