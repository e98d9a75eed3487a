package jwks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// Limits on fetching a key set.
const (
	// MaxResponseBytes caps a JWKS response body; a larger one is refused and the keys
	// already known are kept. Clerk's key sets are a few hundred bytes.
	MaxResponseBytes = 1 << 20
	// maxRedirects bounds the redirects a JWKS request follows.
	maxRedirects = 3
)

var errResponseTooLarge = fmt.Errorf("jwks: key set response larger than %d bytes", MaxResponseBytes)

// transport adds the Backend API's Bearer secret key (only to requests for the configured
// origin, never to a redirect elsewhere) and caps every response body.
type transport struct {
	base     http.RoundTripper
	origin   *url.URL
	bearer   string // "Bearer sk_…", or "" for the public Frontend API endpoint
	maxBytes int64
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.Header.Set("Accept", "application/json")
	if r.Header.Get("User-Agent") == "" {
		r.Header.Set("User-Agent", "authkit-jwks")
	}
	if t.bearer != "" && r.URL.Scheme == t.origin.Scheme && r.URL.Host == t.origin.Host {
		r.Header.Set("Authorization", t.bearer)
	}
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = &limitedBody{rc: resp.Body, n: t.maxBytes}
	if resp.StatusCode != http.StatusOK {
		return resp, nil // refused by the status check that follows
	}
	// A 200 that is not a key set ({}, null, an error object) must not be read as an
	// empty set, which would discard every key: only {"keys": [...]} is a key set.
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var doc struct {
		Keys *[]json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || doc.Keys == nil {
		return nil, errNotAKeySet
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

var errNotAKeySet = errors.New(`jwks: the response is not a key set (a JSON object with a "keys" array)`)

// limitedBody reads at most n bytes and fails, instead of truncating, when there is more.
type limitedBody struct {
	rc io.ReadCloser
	n  int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.n <= 0 {
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			return 0, errResponseTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > b.n {
		p = p[:b.n]
	}
	n, err := b.rc.Read(p)
	b.n -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

// checkRedirect refuses a downgrade from https and long redirect chains, then defers to
// the caller's own policy if it had one.
func checkRedirect(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return fmt.Errorf("jwks: stopped after %d redirects", len(via))
		}
		if via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
			return errors.New("jwks: refusing a redirect from https to " + req.URL.Scheme)
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
}
