package audit

import (
	"log/slog"
	"net/netip"
	"strings"
	"time"
)

// AuthOutcome is the result of authentication for one request, as recorded by
// the auth middleware through [Annotate].
type AuthOutcome string

// Authentication outcomes. The zero value, [AuthUnknown], means no
// authentication layer annotated the record.
const (
	// AuthUnknown means nothing recorded an outcome (no auth middleware ran,
	// or it ran on a route that does not authenticate).
	AuthUnknown AuthOutcome = ""
	// AuthSuccess means a credential was presented and accepted.
	AuthSuccess AuthOutcome = "success"
	// AuthFailure means a credential was missing where one was required, or
	// was presented and rejected; [Record.AuthFailure] says why.
	AuthFailure AuthOutcome = "failure"
	// AuthAnonymous means no credential was presented on a route that allows
	// anonymous access.
	AuthAnonymous AuthOutcome = "anonymous"
)

// MethodOther replaces any request method that is not one of the methods
// OpenTelemetry calls "known" (GET, HEAD, POST, PUT, DELETE, CONNECT,
// OPTIONS, TRACE, PATCH and QUERY), so that a client cannot inflate the
// cardinality of the method field. Methods are case-sensitive: "get" is
// folded too.
const MethodOther = "_OTHER"

// Keys under which [Record.LogAttrs] emits the record's fields, in its order.
const (
	keyMethod        = "http.request.method"       // string; unknown methods are MethodOther
	keyRoute         = "http.route"                // string; the ServeMux pattern, e.g. "GET /orgs/{org}"
	keyPath          = "url.path"                  // string; the path as received, never the query
	keyStatus        = "http.response.status_code" // int
	keyBytes         = "http.response.body.size"   // int64; body bytes written (always present)
	keyDuration      = "duration"                  // time.Duration; JSONSink writes integer nanoseconds (always present)
	keyClientAddress = "client.address"            // string; derived by the ClientIPStrategy
	keyPeerAddress   = "network.peer.address"      // string; the TCP peer (r.RemoteAddr)
	keyPeerPort      = "network.peer.port"         // int; omitted when 0
	keyUserAgent     = "user_agent.original"       // string
	keyRequestID     = "http.request.id"           // string (ECS)
	keyUserID        = "user.id"                   // string
	keySessionID     = "session.id"                // string
	keyOrgID         = "organization.id"           // string (ECS)
	keyOrgRole       = "user.roles"                // []string with the one active org role, e.g. ["org:admin"]
	keyPrincipalKind = "authkit.principal.kind"    // string, e.g. "session_token", "api_key"
	keyAuthOutcome   = "event.outcome"             // string: "success", "failure" or "anonymous" (ECS; "anonymous" is ours)
	keyAuthFailure   = "error.type"                // string; the failure sentinel's text
	keyHijacked      = "authkit.hijacked"          // bool
	keyPanicked      = "authkit.panicked"          // bool
	keyAborted       = "authkit.aborted"           // bool
)

// KeyTime is the key sinks write [Record.Time] under. [Record.LogAttrs]
// does not emit it; slog handlers write the record time under it on their
// own.
const KeyTime = "time"

// Record is the audit record of one HTTP request. The middleware fills the
// request fields before calling the next handler and the response fields
// after it returns; inner layers add identity through [Annotate] and free
// attributes through [AddAttrs].
//
// Privacy: a Record never holds the query string, request or response
// headers (other than the User-Agent), cookies or bodies.
type Record struct {
	// Time is when the middleware received the request.
	Time time.Time
	// Duration is the time from Time until the handler returned (or
	// panicked). Measured by the middleware.
	Duration time.Duration

	// Method is the request method, or MethodOther for methods outside the
	// known set.
	Method string
	// Route is the matched route pattern (r.Pattern from http.ServeMux), or
	// "" when no pattern is known. An annotated Route is kept; otherwise the
	// middleware reads r.Pattern from the request it passed down, after the
	// handler returns. When another middleware between the audit middleware
	// and the ServeMux replaces the request (r.WithContext), wrap the mux in
	// [CaptureRoute] so the pattern still reaches the record.
	Route string
	// Path is r.URL.Path as received, captured before the handler runs
	// (handlers such as http.StripPrefix rewrite it). Never the query string.
	// A path longer than 2 KiB is cut to at most 2 KiB, at a UTF-8
	// character boundary, ending with "…".
	Path string

	// Status is the final response status code: the first non-1xx code
	// written, 200 if the handler wrote a body or nothing at all, 500 if it
	// panicked. It is 0 when the connection was hijacked or the handler
	// aborted (http.ErrAbortHandler) before any status was written.
	// Measured by the middleware.
	Status int
	// Bytes is the number of response body bytes written through the
	// ResponseWriter (Write, WriteString and ReadFrom). Bytes written to a
	// hijacked connection are not counted. Measured by the middleware.
	Bytes int64

	// ClientIP is the client address chosen by the configured
	// [ClientIPStrategy]; the zero Addr when the strategy could not
	// determine one (it fails closed).
	ClientIP netip.Addr
	// PeerAddr is the TCP peer, parsed from r.RemoteAddr (IPv4-mapped
	// addresses unmapped, zone dropped); port 0 when r.RemoteAddr has no
	// port, and the zero AddrPort when it is not an IP address (for example
	// a Unix socket).
	PeerAddr netip.AddrPort
	// UserAgent is the first User-Agent header, verbatim up to
	// 512 bytes; a longer one is cut as Path is, ending with "…".
	UserAgent string
	// RequestID identifies the request. It is generated (22 URL-safe
	// characters from 128 random bits) unless a valid inbound id was
	// accepted from the header named by [Config.RequestIDHeader].
	RequestID string

	// UserID is the authenticated user, e.g. a Clerk "user_..." id.
	UserID string
	// SessionID is the authenticated session, e.g. a Clerk "sess_..." id.
	SessionID string
	// OrgID is the active organization, e.g. a Clerk "org_..." id.
	OrgID string
	// OrgRole is the user's role in OrgID, in "org:" form ("org:admin").
	OrgRole string
	// PrincipalKind says what kind of credential authenticated the request:
	// "session_token", "api_key", "m2m_token", "oauth_token", "service_account" (clerkauth.TokenKind).
	PrincipalKind string
	// AuthOutcome is the authentication result.
	AuthOutcome AuthOutcome
	// AuthFailure is why authentication failed: the text of the failure
	// sentinel (for example clerkauth.ErrTokenExpired.Error()). It must never
	// contain the token, a claim value or any other secret, so callers set it
	// from a sentinel's text, never from a wrapped error's message.
	AuthFailure string

	// Hijacked reports that the handler took over the connection
	// (http.Hijacker or http.ResponseController.Hijack).
	Hijacked bool
	// Panicked reports that the handler panicked with a value other than
	// http.ErrAbortHandler; Status is then 500.
	Panicked bool
	// Aborted reports that the handler panicked with http.ErrAbortHandler.
	Aborted bool

	// Attrs are free attributes added by handlers with [AddAttrs]. Before
	// the record reaches the sink, attributes whose key is redacted (see
	// [Config.RedactedKeys]) get the value [Redacted]. [Record.LogAttrs]
	// drops attributes whose key is one of the record's own keys, "time",
	// "level", "msg" or "source", so that a handler cannot overwrite a
	// field the middleware measured. Use namespaced keys ("app.invoice.id").
	Attrs []slog.Attr
}

// LogAttrs appends the record's fields to dst as slog attributes, followed
// by the free attributes, and returns the extended slice. The keys, in this
// order, are OpenTelemetry semantic-convention names, Elastic Common Schema
// (ECS) names where OpenTelemetry has none, and "authkit." names otherwise:
//
//	http.request.method        Method (string)
//	http.route                 Route (string)
//	url.path                   Path (string)
//	http.response.status_code  Status (int)
//	http.response.body.size    Bytes (int64, always present)
//	duration                   Duration (time.Duration, always present; JSON: nanoseconds)
//	client.address             ClientIP (string)
//	network.peer.address       PeerAddr's address (string)
//	network.peer.port          PeerAddr's port (int)
//	user_agent.original        UserAgent (string)
//	http.request.id            RequestID (string, ECS)
//	user.id                    UserID (string)
//	session.id                 SessionID (string)
//	organization.id            OrgID (string, ECS)
//	user.roles                 OrgRole ([]string with the one role)
//	authkit.principal.kind     PrincipalKind (string)
//	event.outcome              AuthOutcome (string, ECS)
//	error.type                 AuthFailure (string)
//	authkit.hijacked           Hijacked (bool)
//	authkit.panicked           Panicked (bool)
//	authkit.aborted            Aborted (bool)
//
// Every field that holds its zero value is omitted, except the two always
// present. [Record.Time] is not included: sinks write it under [KeyTime]
// (slog handlers do so on their own).
//
// Third-party sinks should emit LogAttrs rather than choose their own keys;
// audittest.Run checks that they do.
func (r *Record) LogAttrs(dst []slog.Attr) []slog.Attr {
	str := func(key, v string) {
		if v != "" {
			dst = append(dst, slog.String(key, v))
		}
	}
	str(keyMethod, r.Method)
	str(keyRoute, r.Route)
	str(keyPath, r.Path)
	if r.Status != 0 {
		dst = append(dst, slog.Int(keyStatus, r.Status))
	}
	dst = append(dst, slog.Int64(keyBytes, r.Bytes), slog.Duration(keyDuration, r.Duration))
	if r.ClientIP.IsValid() {
		dst = append(dst, slog.String(keyClientAddress, r.ClientIP.String()))
	}
	if r.PeerAddr.IsValid() {
		dst = append(dst, slog.String(keyPeerAddress, r.PeerAddr.Addr().String()))
		if p := r.PeerAddr.Port(); p != 0 {
			dst = append(dst, slog.Int(keyPeerPort, int(p)))
		}
	}
	str(keyUserAgent, r.UserAgent)
	str(keyRequestID, r.RequestID)
	str(keyUserID, r.UserID)
	str(keySessionID, r.SessionID)
	str(keyOrgID, r.OrgID)
	if r.OrgRole != "" {
		dst = append(dst, slog.Any(keyOrgRole, []string{r.OrgRole}))
	}
	str(keyPrincipalKind, r.PrincipalKind)
	str(keyAuthOutcome, string(r.AuthOutcome))
	str(keyAuthFailure, r.AuthFailure)
	flag := func(key string, v bool) {
		if v {
			dst = append(dst, slog.Bool(key, true))
		}
	}
	flag(keyHijacked, r.Hijacked)
	flag(keyPanicked, r.Panicked)
	flag(keyAborted, r.Aborted)
	for _, a := range r.Attrs {
		if a.Key == "" || reservedKey(a.Key) {
			continue
		}
		dst = append(dst, a)
	}
	return dst
}

// reservedKey reports whether a free attribute key collides with a field
// the record emits itself, or with a key slog handlers write.
func reservedKey(k string) bool {
	switch k {
	case keyMethod, keyRoute, keyPath, keyStatus, keyBytes, keyDuration,
		keyClientAddress, keyPeerAddress, keyPeerPort, keyUserAgent, keyRequestID,
		keyUserID, keySessionID, keyOrgID, keyOrgRole, keyPrincipalKind,
		keyAuthOutcome, keyAuthFailure, keyHijacked, keyPanicked, keyAborted,
		slog.TimeKey, slog.LevelKey, slog.MessageKey, slog.SourceKey:
		return true
	}
	return false
}

// normalizeMethod folds methods outside the OpenTelemetry known set to
// MethodOther. It returns its argument otherwise, so it never allocates.
func normalizeMethod(m string) string {
	switch m {
	case "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "QUERY":
		return m
	}
	return MethodOther
}

// lowerASCII lowercases ASCII letters only (header-style keys).
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}
