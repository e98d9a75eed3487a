package webhook

import (
	"encoding/json"
	"time"
)

// Membership is an organization membership: the data of the organizationMembership.*
// events, the deleted one included.
type Membership struct {
	ID     string `json:"id"`     // "orgmem_…"
	Object string `json:"object"` // "organization_membership"
	// Role is the role key as sent: "org:admin", "org:member" or a custom
	// "org:…" key; legacy payloads send "admin" and "basic_member".
	Role            string          `json:"role"`
	RoleName        string          `json:"role_name"`
	Permissions     []string        `json:"permissions"`
	PublicMetadata  json.RawMessage `json:"public_metadata,omitempty"`
	PrivateMetadata json.RawMessage `json:"private_metadata,omitempty"`
	Organization    Organization    `json:"organization"`
	PublicUserData  PublicUserData  `json:"public_user_data"`
	CreatedAt       time.Time       `json:"created_at"`
	UpdatedAt       time.Time       `json:"updated_at"`
}

// PublicUserData identifies the member of a [Membership].
type PublicUserData struct {
	UserID     string `json:"user_id"`
	Identifier string `json:"identifier"` // usually the email address
	FirstName  string `json:"first_name"`
	LastName   string `json:"last_name"`
	ImageURL   string `json:"image_url"`
	HasImage   bool   `json:"has_image"`
}

type membershipWire struct {
	*membershipPlain
	CreatedAt millis `json:"created_at"`
	UpdatedAt millis `json:"updated_at"`
}

type membershipPlain Membership

// UnmarshalJSON decodes Clerk's wire format leniently (see "Events"
// in the package documentation); [Event.Membership] adds the strict check.
func (m *Membership) UnmarshalJSON(b []byte) error {
	w := membershipWire{membershipPlain: (*membershipPlain)(m)}
	if err := unmarshalLenient(b, &w); err != nil {
		return err
	}
	m.CreatedAt, m.UpdatedAt = time.Time(w.CreatedAt), time.Time(w.UpdatedAt)
	return nil
}

// MarshalJSON encodes Clerk's wire format (times in milliseconds).
func (m Membership) MarshalJSON() ([]byte, error) {
	return json.Marshal(membershipWire{(*membershipPlain)(&m), millis(m.CreatedAt), millis(m.UpdatedAt)})
}

// membershipEssential holds the essential fields of a
// [Membership], which [Event.Membership] decodes strictly:
// their JSON types are checked, their values are not kept (see decodeData).
type membershipEssential struct {
	ID           string       `json:"id"`
	Role         string       `json:"role"`
	Permissions  []string     `json:"permissions"`
	CreatedAt    strictMillis `json:"created_at"`
	UpdatedAt    strictMillis `json:"updated_at"`
	Organization struct {
		ID string `json:"id"`
	} `json:"organization"`
	PublicUserData struct {
		UserID string `json:"user_id"`
	} `json:"public_user_data"`
}

// Membership decodes Data as a [Membership]
// (organizationMembership.created, .updated, .deleted). It fails with
// [ErrMalformedPayload] if Data is not a JSON object, has no "id", or an
// essential field has another JSON type: id and role must be strings (or
// null), permissions an array of strings, created_at and updated_at
// integers, organization an object whose id is a string, public_user_data
// an object whose user_id is a string. Any other field of an unexpected
// type (the rest of the embedded organization included) is left at its
// zero value.
func (e Event) Membership() (*Membership, error) {
	return decodeData[Membership](e, func(x *membershipEssential) string { return x.ID })
}
