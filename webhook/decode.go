package webhook

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// The decoding rule of this package, for the envelope ([ParseEvent]) and
// every typed payload ([Event.User], …): Clerk may change a field's type
// at any time, and a field a decision depends on must never be guessed,
// while a field nothing here reads must never stop an event from being
// applied. So each decode has two halves:
//
//   - the essential fields (listed on each decoder) are checked strictly,
//     through a small struct of their own: a wrong JSON type makes the
//     event or payload malformed ([ErrMalformedEvent],
//     [ErrMalformedPayload]), which the Handler acknowledges and logs;
//   - every other field is decoded leniently: one of an unexpected JSON
//     type is left at its zero value (nil for a pointer to an object or a
//     slice), and the rest of the value is decoded as usual.
//
// Unknown fields are ignored; null is the zero value everywhere; invalid
// JSON is malformed.

// unmarshalLenient decodes b into v, leaving a field whose JSON type does
// not fit its Go type at its zero value. encoding/json skips such a field,
// decodes everything else and reports the first one as a
// *json.UnmarshalTypeError, which is dropped here; any other error
// (invalid JSON) is returned. The nested decoders of this package never
// fail on a type, so the decoder never stops half-way.
func unmarshalLenient(b []byte, v any) error {
	err := json.Unmarshal(b, v)
	// Not errors.As: only the decoder's own report of a skipped field is
	// tolerated, never an error a nested UnmarshalJSON returned (that one
	// stopped the decoding).
	if _, ok := err.(*json.UnmarshalTypeError); ok {
		return nil
	}
	return err
}

// decodeObject decodes raw into a new T when raw is a JSON object and
// returns nil otherwise (absent, null or another JSON type): a lenient
// pointer field.
func decodeObject[T any](raw json.RawMessage) (*T, error) {
	if !isJSONObject(raw) {
		return nil, nil
	}
	v := new(T)
	var err error
	if u, ok := any(v).(json.Unmarshaler); ok {
		err = u.UnmarshalJSON(raw)
	} else {
		err = unmarshalLenient(raw, v)
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}

// millis is a time carried on the wire as integer milliseconds since the
// Unix epoch. It decodes leniently: null, absent or anything but an
// integer is the zero time (an essential time is checked by strictMillis).
type millis time.Time

// UnmarshalJSON never fails; see the type.
func (m *millis) UnmarshalJSON(b []byte) error {
	ms, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		*m = millis{}
		return nil
	}
	*m = millis(time.UnixMilli(ms))
	return nil
}

// MarshalJSON encodes integer milliseconds, null for the zero time.
func (m millis) MarshalJSON() ([]byte, error) {
	t := time.Time(m)
	if t.IsZero() {
		return []byte("null"), nil
	}
	return strconv.AppendInt(nil, t.UnixMilli(), 10), nil
}

// strictMillis checks an essential time: integer milliseconds that fit an
// int64, or null. Its value is not kept (the lenient decode reads the same
// integer).
type strictMillis struct{}

// UnmarshalJSON fails for anything but an integer or null.
func (*strictMillis) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if _, err := strconv.ParseInt(string(b), 10, 64); err != nil {
		return fmt.Errorf("milliseconds timestamp %.40s is not an integer", b)
	}
	return nil
}

// lenientString is a string field that is "" when the JSON value is not a
// string.
type lenientString string

// UnmarshalJSON never fails; see the type.
func (s *lenientString) UnmarshalJSON(b []byte) error {
	var v string
	if len(b) == 0 || b[0] != '"' || json.Unmarshal(b, &v) != nil {
		v = ""
	}
	*s = lenientString(v)
	return nil
}

// lenientAttributes is [EventAttributes] decoded leniently.
type lenientAttributes EventAttributes

// UnmarshalJSON never fails on a type: see [unmarshalLenient].
func (a *lenientAttributes) UnmarshalJSON(b []byte) error {
	var v EventAttributes
	if err := unmarshalLenient(b, &v); err != nil {
		return err
	}
	*a = lenientAttributes(v)
	return nil
}

// The typed payloads (user.go, deleted.go, organization.go,
// membership.go, session.go) hold the fields of Clerk's objects that a
// service acts on; unknown fields are ignored. Times, which Clerk sends as
// integer milliseconds, are [time.Time] (zero when null or absent); the
// JSON forms (MarshalJSON) use Clerk's wire format again, so a payload
// round-trips. Strings that Clerk sends as null decode as "".
//
// Their UnmarshalJSON methods are lenient (the decoding rule in the
// package documentation): a field of an unexpected JSON type is left at
// its zero value (a pointer to an object stays nil) and they fail only on
// invalid JSON. The strict check of the fields a decision depends on is
// done by the accessors ([Event.User], …), each with its list of
// essential fields.
//
// Metadata fields are the raw JSON as sent (possibly "null"; nil when
// absent, and then omitted from the JSON form), so that nothing is lost or
// reinterpreted on the way to a store.
//
// Those essential fields are a small struct next to each payload type
// (userEssential, …), decoded strictly by decodeData: a field there of
// another JSON type than its Go type makes the payload malformed. They are
// the fields [Handler.Sync] reads, and those a decision about the record
// depends on. Metadata (public_metadata) is stored as sent, so any JSON
// value is right and it needs no check.

// decodeData decodes e.Data twice: strictly into the essential struct E,
// whose id (returned by id) must be set, then leniently into a T, which
// is returned. The accessors do not check e.Type: the typed registrations
// of [Handler] bind each decoder to its event types.
func decodeData[T any, E any, PT interface {
	*T
	json.Unmarshaler
}](e Event, id func(*E) string) (*T, error) {
	if !isJSONObject(e.Data) {
		return nil, fmt.Errorf("%w: %s: data is not a JSON object", ErrMalformedPayload, e.Type)
	}
	var ess E
	if err := json.Unmarshal(e.Data, &ess); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrMalformedPayload, e.Type, err)
	}
	if id(&ess) == "" {
		return nil, fmt.Errorf("%w: %s: no id", ErrMalformedPayload, e.Type)
	}
	v := new(T)
	// Every payload type has its own lenient UnmarshalJSON, which runs the
	// decoder (and its validity scan) once; json.Unmarshal would scan the
	// bytes once more before calling it.
	if err := PT(v).UnmarshalJSON(e.Data); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrMalformedPayload, e.Type, err)
	}
	return v, nil
}
