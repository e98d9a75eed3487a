package clerkauth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/jwks"
)

// FuzzVerifyMutated mutates a valid token: Verify never panics, and never accepts a token
// whose signed bytes differ from the original (only the original itself verifies).
func FuzzVerifyMutated(f *testing.F) {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	now := time.Unix(1_800_000_000, 0)
	iss.SetClock(func() time.Time { return now })
	valid := iss.Token().Org("org_1", "acme", "admin", "org:posts:read").AuthorizedParty("https://app.example.com").Sign()
	keys, err := jwks.ParseJSON(iss.JWKS())
	if err != nil {
		f.Fatal(err)
	}
	v, err := clerkauth.NewVerifier(clerkauth.Config{Keys: keys, Issuer: iss.Issuer(), Now: func() time.Time { return now }})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(0, byte(0), 0)
	f.Add(10, byte('A'), 1)
	f.Add(len(valid)-1, byte('B'), 0)
	f.Add(strings.IndexByte(valid, '.'), byte('x'), 2)
	f.Add(len(valid)/2, byte('.'), 3)
	f.Fuzz(func(t *testing.T, pos int, b byte, op int) {
		if pos < 0 {
			pos = -pos
		}
		pos %= len(valid) + 1
		var tok string
		switch op % 4 {
		case 0: // replace a byte
			if pos == len(valid) {
				return
			}
			tok = valid[:pos] + string([]byte{b}) + valid[pos+1:]
		case 1: // insert a byte
			tok = valid[:pos] + string([]byte{b}) + valid[pos:]
		case 2: // delete a byte
			if pos == len(valid) {
				return
			}
			tok = valid[:pos] + valid[pos+1:]
		default: // truncate
			tok = valid[:pos]
		}
		s, err := v.Verify(context.Background(), tok)
		if tok == valid {
			if err != nil {
				t.Fatalf("the original no longer verifies: %v", err)
			}
			return
		}
		if err == nil {
			t.Fatalf("accepted a changed token (op %d at %d, byte %q): session %+v", op%4, pos, b, s)
		}
	})
}

// FuzzBearerToken: the extractor never panics; a token it returns has no whitespace, and
// the header it came from was a single "Bearer" header.
func FuzzBearerToken(f *testing.F) {
	for _, s := range []string{"Bearer abc", "bearer  abc", "Bearer\tabc", "Basic abc", "Bearer", "", "Bearer a b", " Bearer abc", "BEARER abc "} {
		f.Add(s, false)
	}
	f.Add("Bearer abc", true)
	f.Fuzz(func(t *testing.T, value string, twice bool) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header["Authorization"] = []string{value}
		if twice {
			r.Header["Authorization"] = append(r.Header["Authorization"], value)
		}
		tok, err := clerkauth.BearerToken(r)
		if err != nil {
			if tok != "" {
				t.Fatal("a token with an error")
			}
			return
		}
		if twice || tok == "" || strings.ContainsAny(tok, " \t") {
			t.Fatalf("extracted %q from %q (twice %v)", tok, value, twice)
		}
		if !strings.EqualFold(value[:6], "bearer") || !strings.HasSuffix(value, tok) {
			t.Fatalf("extracted %q from %q", tok, value)
		}
	})
}
