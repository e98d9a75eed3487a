package webhook

import (
	"encoding/json"
	"time"
)

// Session is the data of the session.* events.
type Session struct {
	ID       string `json:"id"` // "sess_…"
	Object   string `json:"object"`
	UserID   string `json:"user_id"`
	ClientID string `json:"client_id"`
	// Status is as sent: "active", "pending", "ended", "removed",
	// "revoked", "expired", "abandoned", "replaced".
	Status                   string           `json:"status"`
	LastActiveOrganizationID string           `json:"last_active_organization_id"`
	Actor                    json.RawMessage  `json:"actor,omitempty"`
	LatestActivity           *SessionActivity `json:"latest_activity"`
	ExpireAt                 time.Time        `json:"expire_at"`
	AbandonAt                time.Time        `json:"abandon_at"`
	LastActiveAt             time.Time        `json:"last_active_at"`
	CreatedAt                time.Time        `json:"created_at"`
	UpdatedAt                time.Time        `json:"updated_at"`
	// User is the session's user, when Clerk embeds it.
	User *User `json:"user"`
}

// SessionActivity is [Session.LatestActivity].
type SessionActivity struct {
	ID             string `json:"id"`
	DeviceType     string `json:"device_type"`
	IsMobile       bool   `json:"is_mobile"`
	BrowserName    string `json:"browser_name"`
	BrowserVersion string `json:"browser_version"`
	IPAddress      string `json:"ip_address"`
	City           string `json:"city"`
	Country        string `json:"country"`
}

type sessionWire struct {
	*sessionPlain
	ExpireAt     millis `json:"expire_at"`
	AbandonAt    millis `json:"abandon_at"`
	LastActiveAt millis `json:"last_active_at"`
	CreatedAt    millis `json:"created_at"`
	UpdatedAt    millis `json:"updated_at"`
}

type sessionPlain Session

// sessionWireIn decodes a Session: the pointer fields at depth 0 shadow
// the embedded ones, so that a value that is not an object leaves them nil
// rather than pointing to an empty value.
type sessionWireIn struct {
	sessionWire
	LatestActivity json.RawMessage `json:"latest_activity"`
	User           json.RawMessage `json:"user"`
}

// UnmarshalJSON decodes Clerk's wire format leniently (see "Events"
// in the package documentation); [Event.Session] adds the strict check.
func (s *Session) UnmarshalJSON(b []byte) error {
	w := sessionWireIn{sessionWire: sessionWire{sessionPlain: (*sessionPlain)(s)}}
	if err := unmarshalLenient(b, &w); err != nil {
		return err
	}
	var err error
	if s.LatestActivity, err = decodeObject[SessionActivity](w.LatestActivity); err != nil {
		return err
	}
	if s.User, err = decodeObject[User](w.User); err != nil {
		return err
	}
	s.ExpireAt = time.Time(w.ExpireAt)
	s.AbandonAt = time.Time(w.AbandonAt)
	s.LastActiveAt = time.Time(w.LastActiveAt)
	s.CreatedAt = time.Time(w.CreatedAt)
	s.UpdatedAt = time.Time(w.UpdatedAt)
	return nil
}

// MarshalJSON encodes Clerk's wire format (times in milliseconds).
func (s Session) MarshalJSON() ([]byte, error) {
	return json.Marshal(sessionWire{(*sessionPlain)(&s),
		millis(s.ExpireAt), millis(s.AbandonAt), millis(s.LastActiveAt), millis(s.CreatedAt), millis(s.UpdatedAt)})
}

// sessionEssential holds the essential fields of a [Session], which
// [Event.Session] decodes strictly: their JSON types are checked, their
// values are not kept (see decodeData).
type sessionEssential struct {
	ID     string `json:"id"`
	UserID string `json:"user_id"`
	Status string `json:"status"`
}

// Session decodes Data as a [Session] (session.*). It fails with
// [ErrMalformedPayload] if Data is not a JSON object, has no "id", or
// id, user_id or status is not a string (or null). Any other field of an
// unexpected type is left at its zero value: a revocation is applied
// whatever Clerk sends in latest_activity or the embedded user.
func (e Event) Session() (*Session, error) {
	return decodeData[Session](e, func(x *sessionEssential) string { return x.ID })
}
