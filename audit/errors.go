package audit

import "errors"

// Sentinel errors. Every error this package returns wraps one of them, so
// callers can branch with [errors.Is].
var (
	// ErrInvalidCIDR reports a trusted proxy range that is not a valid IP
	// address or CIDR prefix, or that is written in IPv4-mapped IPv6 form.
	ErrInvalidCIDR = errors.New("audit: invalid trusted proxy range")

	// ErrNoTrustedProxies reports a proxy-aware client IP strategy
	// constructed without any trusted range: such a strategy could never
	// trust a header, so it is almost certainly a configuration mistake.
	ErrNoTrustedProxies = errors.New("audit: no trusted proxy ranges")

	// ErrInvalidHeaderName reports a header name given to [SingleHeader]
	// that is empty or not an RFC 9110 token.
	ErrInvalidHeaderName = errors.New("audit: invalid header name")

	// ErrInvalidConfig is wrapped by every [ConfigError]: [New] refuses
	// its configuration.
	ErrInvalidConfig = errors.New("audit: invalid config")

	// ErrSinkPanic wraps the value of a panic raised by a [Sink]. The
	// middleware and [MultiSink] turn sink panics into errors so that a
	// broken sink never crashes a request.
	ErrSinkPanic = errors.New("audit: sink panicked")

	// ErrNoWriter is returned by the Write method of a [JSONSink] built
	// with a nil io.Writer.
	ErrNoWriter = errors.New("audit: JSON sink has no writer")
)
