package machine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth"
)

func TestBackendAPITokenForms(t *testing.T) {
	e := newBAPIEnv(t, nil)
	const body = "abcdefghijklmnop" // long enough after any prefix
	tests := []struct {
		token string
		want  error
	}{
		{"", clerkauth.ErrTokenType},
		{"sk_live_abc", clerkauth.ErrTokenType},
		{"svc_abcdef", clerkauth.ErrTokenType},
		{"AK_abcdef" + body, clerkauth.ErrTokenType},
		{"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln", clerkauth.ErrTokenType},
		{"ak", clerkauth.ErrTokenType},
		{"oat", clerkauth.ErrTokenType},
		{"ak_", clerkauth.ErrMachineTokenInvalid},
		{"mt_", clerkauth.ErrMachineTokenInvalid},
		{"oat_", clerkauth.ErrMachineTokenInvalid},
		// Length: MinMachineTokenBytes to MaxMachineTokenBytes, prefix included.
		{"ak_" + strings.Repeat("a", MinMachineTokenBytes-4), clerkauth.ErrMachineTokenInvalid},
		{"mt_" + strings.Repeat("a", MinMachineTokenBytes-4), clerkauth.ErrMachineTokenInvalid},
		{"oat_" + strings.Repeat("a", MinMachineTokenBytes-5), clerkauth.ErrMachineTokenInvalid},
		{"ak_abc", clerkauth.ErrMachineTokenInvalid},
		{"ak_" + strings.Repeat("a", MaxMachineTokenBytes-2), clerkauth.ErrMachineTokenInvalid},
		{"oat_" + strings.Repeat("a", MaxMachineTokenBytes-3), clerkauth.ErrMachineTokenInvalid},
		{"mt_" + strings.Repeat("a", 500), clerkauth.ErrMachineTokenInvalid},
		{"ak_" + strings.Repeat("a", 1<<20), clerkauth.ErrMachineTokenInvalid},
		// Alphabet: base64, standard or URL-safe, at most two '=' at the end.
		{"ak_abc def" + body, clerkauth.ErrMachineTokenInvalid},
		{"ak_abc" + body + "\n", clerkauth.ErrMachineTokenInvalid},
		{"ak_abc" + body + "\x00", clerkauth.ErrMachineTokenInvalid},
		{"ak_abc\t" + body, clerkauth.ErrMachineTokenInvalid},
		{"mt_a.b.c" + body, clerkauth.ErrMachineTokenInvalid},
		{"ak_é" + body, clerkauth.ErrMachineTokenInvalid},
		{"ak_\"}" + body, clerkauth.ErrMachineTokenInvalid},
		{"ak_%41" + body, clerkauth.ErrMachineTokenInvalid},
		{"ak_~" + body, clerkauth.ErrMachineTokenInvalid},
		{"ak_\\u0041" + body, clerkauth.ErrMachineTokenInvalid},
		{"oat_" + body + "===", clerkauth.ErrMachineTokenInvalid},
		{"oat_ab=cd" + body, clerkauth.ErrMachineTokenInvalid},
		{"oat_=" + body, clerkauth.ErrMachineTokenInvalid},
		{"ak_" + strings.Repeat("=", 14), clerkauth.ErrMachineTokenInvalid},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%.24q", tt.token), func(t *testing.T) {
			before := e.fake.hits.Load()
			p, err := e.b.VerifyMachineToken(context.Background(), tt.token)
			require.ErrorIs(t, err, tt.want)
			assert.Nil(t, p)
			if len(tt.token) > 4 {
				assert.NotContains(t, err.Error(), tt.token)
			}
			assert.Equal(t, before, e.fake.hits.Load(), "nothing is sent for a token of another form or a bad shape")
		})
	}
	require.Zero(t, e.fake.hits.Load())

	// These are sent (the fake answers 404 to each): the shortest and the longest, and
	// the shapes of Clerk's own examples (its JavaScript SDK's fixtures: an API key in
	// standard base64 with padding, M2M and OAuth tokens of 37 characters after the
	// prefix; its Backend API reference: 32).
	sent := []string{
		"ak_" + strings.Repeat("a", MinMachineTokenBytes-3),
		"oat_" + strings.Repeat("a", MinMachineTokenBytes-4),
		"ak_" + strings.Repeat("a", MaxMachineTokenBytes-3),
		"ak_LCWGdaM8mv8K4PC/57IICZQXAeWfCgF30DZaFXHoGn9=",
		"mt_8XOIucKvqHVr5tYP123456789abcdefghij",
		"oat_8XOIucKvqHVr5tYP123456789abcdefghij",
		"mt_" + strings.Repeat("X", 32),
		"ak_" + body + "+/_-==",
		"mt_" + body + "=",
	}
	for i, token := range sent {
		_, err := e.b.VerifyMachineToken(context.Background(), token)
		require.ErrorIs(t, err, clerkauth.ErrMachineTokenInvalid, "%q", token)
		require.EqualValues(t, i+1, e.fake.hits.Load(), "%q was sent", token)
	}
}

// bapiShapeRE is an independent statement of the shape BackendAPI sends (with
// bapiShapeOK's length bounds).
var bapiShapeRE = regexp.MustCompile(`^(ak_|mt_|oat_)[A-Za-z0-9+/_-]+={0,2}$`)

func bapiShapeOK(token string) bool {
	return bapiShapeRE.MatchString(token) && len(token) >= MinMachineTokenBytes && len(token) <= MaxMachineTokenBytes
}

func FuzzBackendAPITokenShape(f *testing.F) {
	for _, s := range []string{
		bapiAK, bapiMT, bapiOAT, "", "ak_", "mt_", "oat_", "oat", "ak_a", "ak_a b", "ak_a\n", "mt_a.b.c",
		"eyJhbGciOiJSUzI1NiJ9.e30.c2ln", "sk_live_x", "ak_\"},\"secret\":\"x", "ak_%00", "oat_\u00e9",
		"ak_" + strings.Repeat("Z", MaxMachineTokenBytes-3), "ak_" + strings.Repeat("Z", MaxMachineTokenBytes-2),
		"mt_\xff\xfe", "ak__-_-", "AK_x", " ak_x",
		"ak_LCWGdaM8mv8K4PC/57IICZQXAeWfCgF30DZaFXHoGn9=", "oat_abcdefghijklmnop==", "oat_abcdefghijklmnop===",
		"mt_abcdefgh=ijklmnop", "ak_" + strings.Repeat("=", 20), "ak_abcdefghijklm", "ak_abcdefghijkl",
	} {
		f.Add(s)
	}
	var badRequests atomic.Int64
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		var body map[string]string
		_ = json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&body)
		ok := len(body) == 1
		for _, v := range body {
			ok = ok && bapiShapeOK(v)
		}
		if !ok {
			badRequests.Add(1)
		}
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, clerkNotFound)
	}))
	f.Cleanup(srv.Close)
	// Fuzzing sends thousands of distinct tokens a second: no limit here.
	b, err := NewBackendAPI(BackendAPIConfig{SecretKey: bapiTestSecret, URL: srv.URL + "/v1", Logger: slog.New(slog.DiscardHandler),
		MaxCallsPerSecond: 1e9, MaxConcurrentCalls: 1 << 10})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, token string) {
		before := hits.Load()
		p, err := b.VerifyMachineToken(context.Background(), token)
		if p != nil {
			t.Fatalf("accepted %q", token)
		}
		good := bapiShapeOK(token)
		clerkPrefix := strings.HasPrefix(token, "ak_") || strings.HasPrefix(token, "mt_") || strings.HasPrefix(token, "oat_")
		switch {
		case !clerkPrefix:
			if !errors.Is(err, clerkauth.ErrTokenType) {
				t.Fatalf("%q: %v, want ErrTokenType", token, err)
			}
		case !good:
			if !errors.Is(err, clerkauth.ErrMachineTokenInvalid) {
				t.Fatalf("%q: %v, want ErrMachineTokenInvalid", token, err)
			}
		default:
			if !errors.Is(err, clerkauth.ErrMachineTokenInvalid) { // the server's 404, maybe cached
				t.Fatalf("%q: %v, want the server's 404", token, err)
			}
		}
		if !good && hits.Load() != before {
			t.Fatalf("%q: a request was sent for a bad shape", token)
		}
		if err != nil && clerkPrefix && strings.Contains(err.Error(), token) {
			t.Fatalf("the error quotes the token: %v", err)
		}
		if n := badRequests.Load(); n != 0 {
			t.Fatalf("%d requests carried a badly shaped token", n)
		}
	})
}
