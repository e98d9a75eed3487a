package clerkauth

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// splitToken is the pre-parse gate: a length cap, exactly two dots, three non-empty
// segments and no line breaks, checked before anything is decoded. The strict base64url
// decoding of each segment (decodeSegment) then refuses every other byte outside the
// alphabet: padding, '+', '/', spaces, control characters. Go's decoder silently skips
// CR and LF, which is why the gate refuses them itself.
func splitToken(token string, maxBytes int) (header, payload, sig, signingInput string, err error) {
	if token == "" {
		return "", "", "", "", ErrTokenMissing
	}
	if len(token) > maxBytes {
		return "", "", "", "", fmt.Errorf("%w: %w: %d bytes, at most %d", ErrTokenMalformed, ErrTokenTooLarge, len(token), maxBytes)
	}
	if n := strings.Count(token, "."); n != 2 {
		return "", "", "", "", fmt.Errorf("%w: %d segments, want 3", ErrTokenMalformed, n+1)
	}
	if strings.IndexByte(token, '\n') >= 0 || strings.IndexByte(token, '\r') >= 0 {
		return "", "", "", "", fmt.Errorf("%w: line break", ErrTokenMalformed)
	}
	first := strings.IndexByte(token, '.')
	second := first + 1 + strings.IndexByte(token[first+1:], '.')
	header, payload, sig = token[:first], token[first+1:second], token[second+1:]
	if header == "" || payload == "" || sig == "" {
		return "", "", "", "", fmt.Errorf("%w: empty segment", ErrTokenMalformed)
	}
	return header, payload, sig, token[:second], nil
}

var strictB64 = base64.RawURLEncoding.Strict()

// decodeSegment decodes a gated segment strictly (non-canonical trailing bits refused)
// into buf when it fits.
func decodeSegment(buf []byte, seg string) ([]byte, error) {
	n := strictB64.DecodedLen(len(seg))
	if n > len(buf) {
		buf = make([]byte, n)
	}
	n, err := strictB64.Decode(buf[:n], []byte(seg))
	if err != nil {
		return nil, fmt.Errorf("%w: bad base64url", ErrTokenMalformed)
	}
	return buf[:n], nil
}
