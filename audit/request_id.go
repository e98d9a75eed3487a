package audit

import (
	"crypto/rand"
	"encoding/base64"
)

// maxRequestIDLength is the longest inbound request id accepted from the
// header named by Config.RequestIDHeader. Longer ids are replaced by a
// generated one.
const maxRequestIDLength = 128

// DefaultRequestIDHeader is the response header that echoes the request id
// when [Config.RequestIDHeader] is empty.
const DefaultRequestIDHeader = "X-Request-Id"

// newRequestID returns 128 bits from crypto/rand in unpadded base64url: 22
// characters from [A-Za-z0-9_-]. It allocates only the string. (Buffering
// random bytes across requests would save about 20 ns, but would let cloned
// VM snapshots hand out the same ids; crypto/rand guards against that.)
func newRequestID() string {
	var raw [16]byte
	_, _ = rand.Read(raw[:]) // crypto/rand.Read never returns an error (Go 1.24+)
	var enc [22]byte
	base64.RawURLEncoding.Encode(enc[:], raw[:])
	return string(enc[:])
}

// validRequestID reports whether an inbound id is acceptable: 1 to
// maxRequestIDLength characters, each an RFC 3986 unreserved character
// (A-Z, a-z, 0-9, '-', '.', '_', '~'). That admits UUIDs, ULIDs, our own
// ids and W3C trace ids, and keeps spaces, quotes, control characters and
// anything that could forge a log line out of the audit trail.
func validRequestID(s string) bool {
	if s == "" || len(s) > maxRequestIDLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~':
		default:
			return false
		}
	}
	return true
}
