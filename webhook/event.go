package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Clerk event types with a typed payload in this package. Other types
// (organizationDomain.*, organizationInvitation.*, role.*, permission.*,
// email.created, billing events and whatever Clerk adds) are delivered to
// handlers registered with [Handler.On] under their own names, with the raw
// [Event.Data].
const (
	EventUserCreated = "user.created" // data: [User]
	EventUserUpdated = "user.updated" // data: [User]
	EventUserDeleted = "user.deleted" // data: [DeletedObject]

	EventOrganizationCreated = "organization.created" // data: [Organization]
	EventOrganizationUpdated = "organization.updated" // data: [Organization]
	EventOrganizationDeleted = "organization.deleted" // data: [DeletedObject]

	EventMembershipCreated = "organizationMembership.created" // data: [Membership]
	EventMembershipUpdated = "organizationMembership.updated" // data: [Membership]
	EventMembershipDeleted = "organizationMembership.deleted" // data: [Membership] (the full object)

	EventSessionCreated = "session.created" // data: [Session]
	EventSessionPending = "session.pending" // data: [Session]
	EventSessionEnded   = "session.ended"   // data: [Session]
	EventSessionRemoved = "session.removed" // data: [Session]
	EventSessionRevoked = "session.revoked" // data: [Session]
)

// Event is a Clerk webhook event: the envelope, with the payload kept raw
// in Data until a typed accessor ([Event.User], [Event.DeletedObject],
// [Event.Organization], [Event.Membership], [Event.Session]) decodes it.
//
// Its JSON form is Clerk's wire format: Timestamp is an integer of
// milliseconds and MessageID is not part of it.
type Event struct {
	// Type is the event type, such as [EventUserCreated].
	Type string
	// Object is the envelope's object kind, "event".
	Object string
	// Timestamp is when the event occurred. Clerk documents milliseconds;
	// some of its examples carry seconds, so values below 10^12 are read as
	// seconds. Zero when absent or null.
	Timestamp time.Time
	// InstanceID is the Clerk instance ("ins_…") that emitted the event.
	InstanceID string
	// Attributes describe the request that caused the event, when Clerk
	// sends them.
	Attributes EventAttributes
	// Data is the raw "data" object. Handlers must not modify it: every
	// handler of an event shares it.
	Data json.RawMessage
	// MessageID is the Svix message id (svix-id): the same for every retry
	// of one message. The [Handler] sets it; it is not in the body.
	MessageID string
}

// EventAttributes is the envelope's "event_attributes".
type EventAttributes struct {
	// HTTPRequest is the request to Clerk's API that caused the event.
	HTTPRequest HTTPRequest `json:"http_request"`
}

// HTTPRequest is "event_attributes.http_request".
type HTTPRequest struct {
	// ClientIP is the address Clerk saw the request come from.
	ClientIP string `json:"client_ip"`
	// UserAgent is that request's User-Agent.
	UserAgent string `json:"user_agent"`
}

// envelope is the wire form of Event, for encoding.
type envelope struct {
	Type       string          `json:"type"`
	Object     string          `json:"object"`
	Timestamp  *int64          `json:"timestamp"`
	InstanceID string          `json:"instance_id"`
	Attributes EventAttributes `json:"event_attributes"`
	Data       json.RawMessage `json:"data"`
}

// envelopeIn is the wire form of Event for decoding, in one pass: the
// essential fields have strict types (a wrong JSON type is an error), the
// others lenient ones that never fail.
type envelopeIn struct {
	Type       string            `json:"type"`
	Timestamp  *int64            `json:"timestamp"`
	Data       json.RawMessage   `json:"data"`
	Object     lenientString     `json:"object"`
	InstanceID lenientString     `json:"instance_id"`
	Attributes lenientAttributes `json:"event_attributes"`
}

// secondsBelow is the boundary under which an envelope timestamp is read as
// seconds: 10^12 ms is September 2001, long before Clerk existed, while 10^12
// s is 33 658 AD.
const secondsBelow = 1_000_000_000_000

// ParseEvent decodes a Clerk event envelope from a verified body. Unknown
// fields and unknown event types are accepted. It fails with
// [ErrMalformedEvent] when body is not a JSON object, "type" is missing or
// an essential field has the wrong JSON type: "type" must be a string,
// "timestamp" an integer and "data" an object (each may be null or
// absent). Any other field of an unexpected type is left at its zero value
// (see the decoding rule in the package documentation): a change in a
// field nothing acts on must not stop an event from being applied.
// MessageID is left empty.
func ParseEvent(body []byte) (Event, error) {
	var e Event
	if err := e.UnmarshalJSON(body); err != nil {
		return Event{}, err
	}
	if e.Type == "" {
		return Event{}, fmt.Errorf("%w: no type", ErrMalformedEvent)
	}
	return e, nil
}

// UnmarshalJSON decodes Clerk's wire format, with the rules of
// [ParseEvent], failing with [ErrMalformedEvent]. It does not require
// "type"; ParseEvent does.
func (e *Event) UnmarshalJSON(b []byte) error {
	if !isJSONObject(b) {
		return fmt.Errorf("%w: not a JSON object", ErrMalformedEvent)
	}
	var env envelopeIn
	if err := json.Unmarshal(b, &env); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformedEvent, err)
	}
	if len(env.Data) > 0 && string(env.Data) != "null" && !isJSONObject(env.Data) {
		return fmt.Errorf("%w: data is not a JSON object", ErrMalformedEvent)
	}
	*e = Event{
		Type:       env.Type,
		Object:     string(env.Object),
		InstanceID: string(env.InstanceID),
		Attributes: EventAttributes(env.Attributes),
		Data:       env.Data,
	}
	if env.Timestamp != nil {
		if ts := *env.Timestamp; ts > -secondsBelow && ts < secondsBelow {
			e.Timestamp = time.Unix(ts, 0)
		} else {
			e.Timestamp = time.UnixMilli(ts)
		}
	}
	return nil
}

// MarshalJSON encodes Clerk's wire format, with Timestamp in milliseconds
// (null when zero) and Data as is (null when empty). A Timestamp before
// September 2001 does not survive a round trip (it would read back as
// seconds).
func (e Event) MarshalJSON() ([]byte, error) {
	env := envelope{
		Type:       e.Type,
		Object:     e.Object,
		InstanceID: e.InstanceID,
		Attributes: e.Attributes,
		Data:       e.Data,
	}
	if !e.Timestamp.IsZero() {
		ms := e.Timestamp.UnixMilli()
		env.Timestamp = &ms
	}
	return json.Marshal(env)
}

// isJSONObject reports whether b, trimmed of JSON white space, starts with
// '{'. Full validity is left to the decoder.
func isJSONObject(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}
