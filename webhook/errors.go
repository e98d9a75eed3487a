package webhook

import "errors"

// Verification failures returned by [Verifier.Verify]. Each is a distinct
// failure class; callers branch on them with [errors.Is]. None of them, nor
// the context wrapped around them, ever contains a secret or a signature.
var (
	// ErrMissingHeaders: the message id, timestamp or signature header is
	// absent or empty (under both the svix-* and the webhook-* names).
	ErrMissingHeaders = errors.New("webhook: missing required headers")

	// ErrInvalidHeaders: a header is sent more than once with different
	// values, the svix-* and webhook-* forms of one header disagree, or
	// the signature header is longer than 4 KiB.
	ErrInvalidHeaders = errors.New("webhook: invalid webhook headers")

	// ErrInvalidMessageID: the message id is longer than 256 bytes or
	// contains anything but printable ASCII other than '.' and space (the
	// Standard Webhooks spec forbids '.' in the signed id).
	ErrInvalidMessageID = errors.New("webhook: invalid message id")

	// ErrInvalidTimestamp: the timestamp header is not a plain decimal
	// integer (digits only, no sign, no leading zero, at most 18 digits).
	ErrInvalidTimestamp = errors.New("webhook: invalid timestamp")

	// ErrTimestampTooOld: the timestamp is further in the past than the
	// tolerance allows.
	ErrTimestampTooOld = errors.New("webhook: timestamp too old")

	// ErrTimestampTooNew: the timestamp is further in the future than the
	// tolerance allows.
	ErrTimestampTooNew = errors.New("webhook: timestamp too new")

	// ErrNoMatchingSignature: no v1 signature in the signature header
	// matches the message under any configured secret.
	ErrNoMatchingSignature = errors.New("webhook: no matching signature")

	// ErrBodyTooLarge: the body exceeds the configured maximum size.
	ErrBodyTooLarge = errors.New("webhook: body too large")
)

// ErrInvalidConfig is wrapped by every [ConfigError]: [NewVerifier],
// [NewHandler], [NewMemoryDedupe] and [Handler.Sync] refuse their
// configuration.
var ErrInvalidConfig = errors.New("webhook: invalid config")

// ConfigError reports the configuration field a constructor refuses. It
// wraps [ErrInvalidConfig]; its text never holds a secret.
type ConfigError struct {
	// Field is the Go path of the field: "VerifierConfig.Secrets[1]",
	// "HandlerConfig.ClaimLease", "SyncConfig.Users".
	Field string
	// Reason says what is wrong with it.
	Reason string
}

func (e *ConfigError) Error() string {
	return "webhook: invalid config: " + e.Field + ": " + e.Reason
}

// Unwrap returns [ErrInvalidConfig].
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

func configError(field, reason string) error { return &ConfigError{Field: field, Reason: reason} }

// Decoding failures of verified messages. The [Handler] acknowledges such a
// message (2xx) and logs it instead of having Svix retry it for days: a
// retry would carry the same bytes.
var (
	// ErrMalformedEvent: the body is not a Clerk event envelope (not a JSON
	// object, no "type", or an essential field of the wrong JSON type:
	// "type" not a string, "timestamp" not an integer, "data" not an
	// object). Other fields of an unexpected type are tolerated.
	ErrMalformedEvent = errors.New("webhook: malformed event")

	// ErrMalformedPayload: the event's "data" is not an object, lacks its
	// "id", or an essential field of the typed payload asked for has the
	// wrong JSON type (each accessor, such as [Event.Session], lists its
	// essential fields; the others are tolerated). An [EventFunc] may
	// return an error wrapping it to have the handler acknowledge an event
	// that can never be processed; the functions after it still run.
	ErrMalformedPayload = errors.New("webhook: malformed event payload")
)

// ErrDedupeFull is returned by [MemoryDedupe] when every slot holds a live
// processing claim, so no id can be evicted.
var ErrDedupeFull = errors.New("webhook: dedupe store full")

// ErrStoreFailed wraps the error of a store that [Handler.Sync] wrote to:
// the Handler answers 500 and Svix delivers the event again later.
var ErrStoreFailed = errors.New("webhook: store failed")
