package audit

import (
	"log/slog"
	"time"
)

// An Option configures [New] and [Middleware].
type Option func(*options)

type options struct {
	clientIP   ClientIPStrategy
	idHeader   string
	logger     *slog.Logger
	now        func() time.Time
	redactKeys []string
	redactSet  bool
}

// WithClientIP sets the strategy that chooses [Record.ClientIP]. The default,
// also used for a nil strategy, is [RemoteAddr]. See [ClientIPStrategy] for
// how to choose.
func WithClientIP(s ClientIPStrategy) Option {
	return func(o *options) { o.clientIP = s }
}

// WithRequestIDHeader makes the middleware accept an inbound request id from
// the request header name (for example "X-Request-Id" set by your load
// balancer) and echo the id under the same name in the response. An inbound
// id is used only if the header appears exactly once and its value is 1 to
// [MaxRequestIDLength] RFC 3986 unreserved characters; otherwise a fresh id
// is generated. Only enable it when the header comes from infrastructure you
// trust, or when a client-chosen id is acceptable in your audit trail.
//
// Without this option no inbound header is read, a fresh id is generated for
// every request, and it is echoed as [DefaultRequestIDHeader]. An empty name
// means the default. A name that is not a valid header name makes [New] fail
// with [ErrInvalidHeaderName].
func WithRequestIDHeader(name string) Option {
	return func(o *options) { o.idHeader = name }
}

// WithLogger sets the logger that reports the first sink error (later ones
// are only counted, see [Auditor.SinkErrors]) and, for [Middleware], an
// ignored invalid option. A nil logger, the default, means slog.Default() at
// the time of logging.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// WithNow sets the clock used for [Record.Time] and [Record.Duration].
// The default, also used for nil, is time.Now.
func WithNow(now func() time.Time) Option {
	return func(o *options) { o.now = now }
}

// WithRedactedKeys replaces the list of attribute keys whose values are
// replaced by [Redacted] before a record reaches the sink. A free attribute
// (see [AddAttrs]), at any group depth, is redacted when its key equals one
// of keys or ends with "." followed by one of them, compared
// case-insensitively: "password" redacts "password" and
// "app.user.Password". A redacted group is redacted as a whole.
//
// The default list is [DefaultRedactedKeys]. WithRedactedKeys() with no keys
// turns key-based redaction off; values wrapped in [Secret], [Redact] or
// [Mask] stay redacted regardless.
func WithRedactedKeys(keys ...string) Option {
	keys = append([]string(nil), keys...)
	return func(o *options) { o.redactKeys, o.redactSet = keys, true }
}
