package audit

import (
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"time"
)

// Config configures [New]. The zero Config is ready to use: records go
// nowhere, the client address is the TCP peer, every request gets a fresh
// id.
type Config struct {
	// Sink receives the records. Nil means [DiscardSink].
	Sink Sink

	// ClientIP chooses [Record.ClientIP]. Nil means [RemoteAddr]. See
	// [ClientIPStrategy] for how to choose.
	ClientIP ClientIPStrategy

	// RequestIDHeader, when set, is the request header an inbound request
	// id is accepted from (for example "X-Request-Id" set by your load
	// balancer); the id is echoed under the same name in the response. An
	// inbound id is used only if the header appears exactly once and its
	// value is 1 to 128 RFC 3986 unreserved characters; otherwise a fresh
	// id is generated. Only set it when the header comes from
	// infrastructure you trust, or when a client-chosen id is acceptable in
	// your audit trail.
	//
	// Empty means no inbound header is read, a fresh id is generated for
	// every request, and it is echoed as [DefaultRequestIDHeader].
	RequestIDHeader string

	// Logger reports the first sink error (later ones are only counted, see
	// [Auditor.SinkErrors]). Nil means slog.Default() at the time of
	// logging.
	Logger *slog.Logger

	// Now is the clock of [Record.Time] and [Record.Duration]. Nil means
	// time.Now.
	Now func() time.Time

	// RedactedKeys are the attribute keys whose values are replaced by
	// [Redacted] before a record reaches the sink. A free attribute (see
	// [AddAttrs]), at any group depth, is redacted when its key equals one
	// of them or ends with "." followed by one of them, compared
	// case-insensitively: "password" redacts "password" and
	// "app.user.Password". A redacted group is redacted as a whole.
	//
	// Nil means [DefaultRedactedKeys]; an empty, non-nil slice turns
	// key-based redaction off. Values wrapped in [Secret], [Redact] or
	// [Mask] stay redacted regardless.
	RedactedKeys []string
}

// ConfigError reports the [Config] field [New] refuses. It wraps
// [ErrInvalidConfig].
type ConfigError struct {
	// Field is the Go path of the field, such as "Config.RequestIDHeader".
	Field string
	// Reason says what is wrong with it.
	Reason string
}

func (e *ConfigError) Error() string {
	return "audit: invalid config: " + e.Field + ": " + e.Reason
}

// Unwrap returns [ErrInvalidConfig].
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

// New returns an Auditor configured by cfg. It fails with a [ConfigError]
// when RequestIDHeader is not a valid header name, or when Sink or
// ClientIP holds a nil pointer.
func New(cfg Config) (*Auditor, error) {
	a := &Auditor{
		sink:     cfg.Sink,
		clientIP: cfg.ClientIP,
		echoID:   DefaultRequestIDHeader,
		logger:   cfg.Logger,
		now:      cfg.Now,
	}
	if a.sink == nil {
		a.sink = DiscardSink()
	} else if isNilPointer(a.sink) {
		return nil, &ConfigError{Field: "Config.Sink", Reason: fmt.Sprintf("is a nil %T", cfg.Sink)}
	}
	if a.clientIP == nil {
		a.clientIP = RemoteAddr()
	} else if isNilPointer(a.clientIP) {
		return nil, &ConfigError{Field: "Config.ClientIP", Reason: fmt.Sprintf("is a nil %T", cfg.ClientIP)}
	}
	a.peerIP, _ = a.clientIP.(peerStrategy)
	if a.now == nil {
		a.now, a.realClock = time.Now, true
	}
	if cfg.RequestIDHeader != "" {
		if !validHeaderName(cfg.RequestIDHeader) {
			return nil, &ConfigError{Field: "Config.RequestIDHeader", Reason: fmt.Sprintf("%q is not a valid header name", cfg.RequestIDHeader)}
		}
		a.inboundID = http.CanonicalHeaderKey(cfg.RequestIDHeader)
		a.echoID = a.inboundID
	}
	keys := cfg.RedactedKeys
	if keys == nil {
		keys = DefaultRedactedKeys()
	}
	for _, k := range keys {
		if k != "" {
			a.redactKeys = append(a.redactKeys, lowerASCII(k))
		}
	}
	return a, nil
}

// isNilPointer reports whether v holds a nil pointer (or another nil
// reference type) behind the interface.
func isNilPointer(v any) bool {
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan, reflect.Interface, reflect.UnsafePointer:
		return rv.IsNil()
	}
	return false
}
