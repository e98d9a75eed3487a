package webhook

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// Defaults applied by [NewVerifier] to zero fields of [VerifierConfig], and
// the bound of the signature header.
const (
	defaultTolerance    = 5 * time.Minute
	defaultMaxBodyBytes = 1 << 20
	defaultMinKeyBytes  = 24

	// maxSignatureHeaderBytes is the longest signature header accepted: Svix
	// sends one "v1,<44 base64 characters>" entry (48 bytes with its
	// separator) per active secret of the endpoint, at most about 11.
	maxSignatureHeaderBytes = 4096
)

const (
	maxMessageIDLen    = 256
	maxTimestampDigits = 18 // always fits in an int64

	secretPrefix = "whsec_"

	hdrSvixID        = "Svix-Id"
	hdrSvixTimestamp = "Svix-Timestamp"
	hdrSvixSignature = "Svix-Signature"
	hdrWebhookID     = "Webhook-Id"
	hdrWebhookTS     = "Webhook-Timestamp"
	hdrWebhookSig    = "Webhook-Signature"
)

// VerifierConfig configures [NewVerifier]. Zero fields take the documented
// defaults; NewVerifier copies the struct and never modifies it.
type VerifierConfig struct {
	// Secrets are the endpoint signing secrets as Clerk's dashboard shows
	// them ("whsec_" followed by standard base64; the prefix is optional).
	// A message verifies if any of its v1 signatures matches under any of
	// them: during a rotation, install the new secret next to the old one
	// before switching, then remove the old one. At least one is required.
	// Surrounding white space is trimmed.
	Secrets []string

	// Tolerance is how far the message timestamp may be from Now, in
	// either direction, in whole seconds. Zero means 5 minutes, the value
	// every Standard Webhooks and Svix library uses.
	Tolerance time.Duration

	// Now is the clock the timestamp is checked against. Nil means
	// [time.Now].
	Now func() time.Time

	// MaxBodyBytes is the largest body Verify accepts; a larger one fails
	// with [ErrBodyTooLarge]. Zero means 1 MiB (Clerk's payloads are a few
	// KiB).
	MaxBodyBytes int64

	// MinKeyBytes is the shortest decoded key accepted. Zero means 24, the
	// Standard Webhooks minimum and the size Svix generates. Lowering it is
	// an explicit decision, for
	// instance to verify the 18-byte example key of Svix's documentation;
	// an empty key is refused whatever the value.
	MinKeyBytes int
}

// Verifier checks Standard Webhooks / Svix signatures. It is safe for
// concurrent use; it holds no per-request state.
type Verifier struct {
	hooks     []*standardwebhooks.Webhook
	tolerance int64 // whole seconds
	now       func() time.Time
	maxBody   int64
	headers   sync.Pool // of *libHeader, each owned by one Verify call at a time
}

// libHeader is the http.Header handed to the library: the three webhook-*
// names, each bound once to a one-element slice of vals, so that a Verify
// call only writes three strings.
type libHeader struct {
	h    http.Header
	vals [3]string
}

func newLibHeader() *libHeader {
	l := &libHeader{}
	l.h = http.Header{
		hdrWebhookID:  l.vals[0:1:1],
		hdrWebhookTS:  l.vals[1:2:2],
		hdrWebhookSig: l.vals[2:3:3],
	}
	return l
}

// NewVerifier validates cfg and returns a Verifier. It fails with a
// [ConfigError] naming the field: no secret, or one that is empty (also
// "whsec_" alone), is not standard base64, is an asymmetric key
// ("whpk_"/"whsk_", unsupported) or decodes to fewer than MinKeyBytes bytes
// (VerifierConfig.Secrets[i]); a negative or fractional-second Tolerance; a
// negative MaxBodyBytes or MinKeyBytes. Errors never contain a secret.
func NewVerifier(cfg VerifierConfig) (*Verifier, error) {
	if cfg.Tolerance < 0 || cfg.Tolerance%time.Second != 0 {
		return nil, configError("VerifierConfig.Tolerance", "must be a non-negative whole number of seconds")
	}
	if cfg.MaxBodyBytes < 0 {
		return nil, configError("VerifierConfig.MaxBodyBytes", "must not be negative")
	}
	if cfg.MinKeyBytes < 0 {
		return nil, configError("VerifierConfig.MinKeyBytes", "must not be negative")
	}
	if len(cfg.Secrets) == 0 {
		return nil, configError("VerifierConfig.Secrets", "no secret configured")
	}
	tol := cfg.Tolerance
	if tol == 0 {
		tol = defaultTolerance
	}
	maxBody := cfg.MaxBodyBytes
	if maxBody == 0 {
		maxBody = defaultMaxBodyBytes
	}
	minKey := cfg.MinKeyBytes
	if minKey == 0 {
		minKey = defaultMinKeyBytes
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}

	v := &Verifier{tolerance: int64(tol / time.Second), now: now, maxBody: maxBody}
	v.headers.New = func() any { return newLibHeader() }
	seen := make(map[string]bool, len(cfg.Secrets))
	for i, s := range cfg.Secrets {
		key, err := decodeSecret(s, minKey)
		if err != nil {
			return nil, configError(fmt.Sprintf("VerifierConfig.Secrets[%d]", i), err.Error())
		}
		if seen[string(key)] {
			continue // the same key twice would only double the cost of a failure
		}
		seen[string(key)] = true
		wh, err := standardwebhooks.NewWebhookRaw(key)
		if err != nil {
			return nil, configError(fmt.Sprintf("VerifierConfig.Secrets[%d]", i), "rejected by the library")
		}
		v.hooks = append(v.hooks, wh)
	}
	return v, nil
}

// decodeSecret returns the HMAC key of a "whsec_<base64>" secret. Its error
// texts describe the defect, never the value.
func decodeSecret(s string, minKey int) ([]byte, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "whpk_") || strings.HasPrefix(s, "whsk_") {
		return nil, errors.New("asymmetric (v1a) keys are not supported")
	}
	body := strings.TrimPrefix(s, secretPrefix)
	if body == "" {
		return nil, errors.New("empty")
	}
	// The same decoding as standardwebhooks.NewWebhook, so the key is the
	// one the library would derive.
	key, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return nil, errors.New("not standard base64")
	}
	if len(key) == 0 {
		return nil, errors.New("decodes to an empty key")
	}
	if len(key) < minKey {
		return nil, fmt.Errorf("key is %d bytes, the minimum is %d (lower MinKeyBytes explicitly to accept it)", len(key), minKey)
	}
	return key, nil
}

// MaxBodyBytes reports the largest body Verify accepts.
func (v *Verifier) MaxBodyBytes() int64 { return v.maxBody }

// Verify checks that body, as received, was signed by the holder of one of
// the configured secrets, for the message id and timestamp in h, and that
// the timestamp is within the tolerance of the clock.
//
// Headers: Clerk (Svix) sends svix-id, svix-timestamp and svix-signature;
// white-labelled Svix sends webhook-id, webhook-timestamp and
// webhook-signature. Each of the three is read under either name, matched
// case-insensitively. If both names of one header are present, or one is
// repeated, every value must be identical, else [ErrInvalidHeaders]: Svix
// never sends both, so a disagreement means a proxy or an attacker added
// one, and picking either would be a guess.
//
// Order of checks, each with its sentinel: body size ([ErrBodyTooLarge]),
// presence of the three headers ([ErrMissingHeaders], [ErrInvalidHeaders]),
// size of the signature header (at most 4 KiB, else [ErrInvalidHeaders]),
// message id ([ErrInvalidMessageID]), timestamp syntax
// ([ErrInvalidTimestamp]), timestamp window in whole seconds (now-ts >
// tolerance: [ErrTimestampTooOld]; ts-now > tolerance:
// [ErrTimestampTooNew]), then the signature, which the standard-webhooks
// library decides with VerifyIgnoringTimestamp ([ErrNoMatchingSignature]).
//
// body must be the raw bytes received: never re-encoded JSON. Verify does
// not retain or modify body or h.
func (v *Verifier) Verify(h http.Header, body []byte) error {
	_, err := v.verify(h, body)
	return err
}

// verify is Verify that also returns the message id, for the Handler.
func (v *Verifier) verify(h http.Header, body []byte) (string, error) {
	if int64(len(body)) > v.maxBody {
		return "", ErrBodyTooLarge
	}
	id, err := headerValue(h, hdrSvixID, hdrWebhookID, "svix-id")
	if err != nil {
		return "", err
	}
	ts, err := headerValue(h, hdrSvixTimestamp, hdrWebhookTS, "svix-timestamp")
	if err != nil {
		return "", err
	}
	sig, err := headerValue(h, hdrSvixSignature, hdrWebhookSig, "svix-signature")
	if err != nil {
		return "", err
	}
	if len(sig) > maxSignatureHeaderBytes {
		return "", fmt.Errorf("%w: svix-signature is %d bytes, the limit is %d", ErrInvalidHeaders, len(sig), maxSignatureHeaderBytes)
	}
	if !validMessageID(id) {
		return "", ErrInvalidMessageID
	}
	sec, ok := parseTimestamp(ts)
	if !ok {
		return "", ErrInvalidTimestamp
	}
	now := v.now().Unix()
	if now-sec > v.tolerance {
		return "", fmt.Errorf("%w: %ds behind the clock, tolerance %ds", ErrTimestampTooOld, now-sec, v.tolerance)
	}
	if sec-now > v.tolerance {
		return "", fmt.Errorf("%w: %ds ahead of the clock, tolerance %ds", ErrTimestampTooNew, sec-now, v.tolerance)
	}
	// Fast rejection that cannot accept anything: the library only ever
	// matches an entry that starts with "v1,".
	if !strings.Contains(sig, "v1,") {
		return "", ErrNoMatchingSignature
	}

	lh := v.headers.Get().(*libHeader)
	lh.vals = [3]string{id, ts, sig}
	err = standardwebhooks.ErrNoMatchingSignature
	for _, wh := range v.hooks {
		err = wh.VerifyIgnoringTimestamp(body, lh.h)
		if err == nil || !errors.Is(err, standardwebhooks.ErrNoMatchingSignature) {
			break
		}
	}
	lh.vals = [3]string{}
	v.headers.Put(lh)
	if err != nil {
		return "", mapLibraryError(err)
	}
	return id, nil
}

// mapLibraryError turns a standardwebhooks error into our sentinel. The
// library's own error stays in the chain for the unexpected classes only
// (its text carries no secret or signature).
func mapLibraryError(err error) error {
	switch {
	case errors.Is(err, standardwebhooks.ErrNoMatchingSignature):
		return ErrNoMatchingSignature
	case errors.Is(err, standardwebhooks.ErrRequiredHeaders):
		return fmt.Errorf("%w: %w", ErrMissingHeaders, err)
	case errors.Is(err, standardwebhooks.ErrInvalidHeaders):
		return fmt.Errorf("%w: %w", ErrInvalidTimestamp, err)
	case errors.Is(err, standardwebhooks.ErrMessageTooOld):
		return fmt.Errorf("%w: %w", ErrTimestampTooOld, err)
	case errors.Is(err, standardwebhooks.ErrMessageTooNew):
		return fmt.Errorf("%w: %w", ErrTimestampTooNew, err)
	default:
		return fmt.Errorf("%w: %w", ErrNoMatchingSignature, err)
	}
}

// headerValue returns the single value of a header sent as primary (svix-*)
// and/or fallback (webhook-*). name is used in the error text.
func headerValue(h http.Header, primary, fallback, name string) (string, error) {
	a, b := h[primary], h[fallback]
	if a == nil && b == nil {
		// h was not built through Header.Set (e.g. a literal with
		// lower-case keys); look the names up case-insensitively.
		a, b = foldValues(h, primary), foldValues(h, fallback)
	}
	var v string
	found := false
	for _, vals := range [2][]string{a, b} {
		for _, s := range vals {
			if !found {
				v, found = s, true
			} else if s != v {
				return "", fmt.Errorf("%w: %s sent with different values", ErrInvalidHeaders, name)
			}
		}
	}
	if v == "" {
		return "", fmt.Errorf("%w: %s", ErrMissingHeaders, name)
	}
	return v, nil
}

func foldValues(h http.Header, name string) []string {
	var out []string
	for k, vals := range h {
		if strings.EqualFold(k, name) {
			out = append(out, vals...)
		}
	}
	return out
}

// validMessageID reports whether id is 1 to 256 bytes of printable ASCII
// without '.' or space.
func validMessageID(id string) bool {
	if len(id) == 0 || len(id) > maxMessageIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c >= 0x7f || c == '.' {
			return false
		}
	}
	return true
}

// parseTimestamp parses a decimal integer of 1 to 18 digits without sign or
// leading zero, so the header bytes are exactly what the library signs.
func parseTimestamp(s string) (int64, bool) {
	if len(s) == 0 || len(s) > maxTimestampDigits || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
