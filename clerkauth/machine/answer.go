package machine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/unioneyes/authkit/clerkauth"
)

// bapiResponse is what the verify endpoints answer with (the members of the three kinds
// of object that matter here).
type bapiResponse struct {
	ID         string          `json:"id"`
	Name       string          `json:"name"`
	ClientID   string          `json:"client_id"`
	Subject    string          `json:"subject"`
	Scopes     []string        `json:"scopes"`
	Claims     json.RawMessage `json:"claims"`
	Revoked    bool            `json:"revoked"`
	Expired    bool            `json:"expired"`
	Expiration *int64          `json:"expiration"`
}

// parseBackendAPIAnswer turns a 200 answer into a principal or a refusal. The answer
// must be the endpoint's object ("object" is "api_key", "machine_to_machine_token" or
// "clerk_idp_oauth_access_token", Backend API OpenAPI 2026-05-12), or, from the OAuth
// endpoint only, exactly {"active": false} (an expired token); anything else is an error
// wrapping errNotClerkAnswer, never a principal. An accepted credential must have an id
// and a subject.
func parseBackendAPIAnswer(ep *bapiEndpoint, data []byte, now time.Time) (bapiVerdict, error) {
	// "object" and "active" are matched exactly (encoding/json would take "Object").
	var members map[string]json.RawMessage
	if err := json.Unmarshal(data, &members); err != nil || members == nil {
		return bapiVerdict{}, fmt.Errorf("%w: not a JSON object", errNotClerkAnswer)
	}
	var object string
	rawObject, hasObject := members["object"]
	if hasObject && json.Unmarshal(rawObject, &object) != nil {
		hasObject = false
	}
	var active *bool
	inactive := json.Unmarshal(members["active"], &active) == nil && active != nil && !*active
	if !hasObject && inactive && ep.kind == clerkauth.KindOAuthToken && len(members) == 1 {
		// {"active": false}, RFC 7662 style: Clerk does not say why (it answers so for
		// expired tokens).
		return bapiVerdict{err: fmt.Errorf("%w: Clerk answered inactive", clerkauth.ErrMachineTokenInvalid)}, nil
	}
	if object != ep.object {
		// The value is not quoted: whatever answered is not Clerk, and might echo what
		// it was sent.
		return bapiVerdict{}, fmt.Errorf("%w: want \"object\": %q", errNotClerkAnswer, ep.object)
	}
	var r bapiResponse
	if err := json.Unmarshal(data, &r); err != nil {
		return bapiVerdict{}, fmt.Errorf("decoding the answer: %w", err)
	}
	if inactive && ep.kind == clerkauth.KindOAuthToken {
		return bapiVerdict{err: fmt.Errorf("%w: Clerk answered inactive", clerkauth.ErrMachineTokenInvalid)}, nil
	}
	if r.ID == "" {
		return bapiVerdict{}, errors.New("answer has no id")
	}
	var exp time.Time
	if r.Expiration != nil {
		exp = time.UnixMilli(*r.Expiration)
	}
	switch {
	case r.Revoked:
		return bapiVerdict{err: clerkauth.ErrMachineTokenRevoked}, nil
	case r.Expired:
		return bapiVerdict{err: fmt.Errorf("%w: Clerk answered expired", clerkauth.ErrMachineTokenExpired)}, nil
	}
	if err := expiredAt(exp, now); err != nil {
		return bapiVerdict{err: err}, nil
	}
	if r.Subject == "" {
		return bapiVerdict{}, errors.New("answer has no subject")
	}
	p := &clerkauth.Principal{
		Kind:      ep.kind,
		ID:        r.ID,
		Subject:   r.Subject,
		Name:      r.Name,
		Scopes:    r.Scopes,
		ExpiresAt: exp,
	}
	if ep.kind == clerkauth.KindOAuthToken {
		p.Name = r.ClientID
	}
	if c := bytes.TrimSpace(r.Claims); len(c) > 0 && !bytes.Equal(c, []byte("null")) {
		p.Claims = json.RawMessage(c)
	}
	return bapiVerdict{p: p}, nil
}

// isClerkErrorBody reports whether data is Clerk's error format (Backend API OpenAPI:
// {"errors":[{"message":…,"long_message":…,"code":…}]}): a JSON object whose "errors"
// is a non-empty array of objects, each with a non-empty string "code" (member names
// matched exactly, not as encoding/json matches struct fields). A generic 404 page, an
// empty body or some other JSON is not.
func isClerkErrorBody(data []byte) bool {
	var body map[string]json.RawMessage
	if json.Unmarshal(data, &body) != nil {
		return false
	}
	var errs []map[string]json.RawMessage
	if json.Unmarshal(body["errors"], &errs) != nil || len(errs) == 0 {
		return false
	}
	for _, e := range errs {
		var code string
		if e == nil || json.Unmarshal(e["code"], &code) != nil || code == "" {
			return false
		}
	}
	return true
}

// truncateForLog shortens a header value taken from an answer before it is logged.
func truncateForLog(s string) string {
	const limit = 100
	if len(s) > limit {
		return s[:limit] + "…"
	}
	return s
}

// clerkErrorCode returns the code of the first error of a Clerk error body
// ({"errors":[{"code":"…"}]}), if it is a short identifier: Clerk's messages are not
// logged, in case one quotes what was sent.
func clerkErrorCode(data []byte) string {
	var body struct {
		Errors []struct {
			Code string `json:"code"`
		} `json:"errors"`
	}
	if json.Unmarshal(data, &body) != nil || len(body.Errors) == 0 {
		return ""
	}
	code := body.Errors[0].Code
	if len(code) > 64 || strings.ContainsFunc(code, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_')
	}) {
		return ""
	}
	return code
}
