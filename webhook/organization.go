package webhook

import (
	"encoding/json"
	"time"
)

// Organization is the data of [EventOrganizationCreated] and
// [EventOrganizationUpdated], and the organization embedded in a
// membership.
type Organization struct {
	ID                      string          `json:"id"`
	Object                  string          `json:"object"` // "organization"
	Name                    string          `json:"name"`
	Slug                    string          `json:"slug"`
	ImageURL                string          `json:"image_url"`
	HasImage                bool            `json:"has_image"`
	MembersCount            int             `json:"members_count"`
	PendingInvitationsCount int             `json:"pending_invitations_count"`
	MaxAllowedMemberships   int             `json:"max_allowed_memberships"`
	AdminDeleteEnabled      bool            `json:"admin_delete_enabled"`
	PublicMetadata          json.RawMessage `json:"public_metadata,omitempty"`
	PrivateMetadata         json.RawMessage `json:"private_metadata,omitempty"`
	CreatedBy               string          `json:"created_by"` // a user id
	CreatedAt               time.Time       `json:"created_at"`
	UpdatedAt               time.Time       `json:"updated_at"`
}

type organizationWire struct {
	*organizationPlain
	CreatedAt millis `json:"created_at"`
	UpdatedAt millis `json:"updated_at"`
}

type organizationPlain Organization

// UnmarshalJSON decodes Clerk's wire format leniently (see "Events"
// in the package documentation); [Event.Organization] adds the strict check.
func (o *Organization) UnmarshalJSON(b []byte) error {
	w := organizationWire{organizationPlain: (*organizationPlain)(o)}
	if err := unmarshalLenient(b, &w); err != nil {
		return err
	}
	o.CreatedAt, o.UpdatedAt = time.Time(w.CreatedAt), time.Time(w.UpdatedAt)
	return nil
}

// MarshalJSON encodes Clerk's wire format (times in milliseconds).
func (o Organization) MarshalJSON() ([]byte, error) {
	return json.Marshal(organizationWire{(*organizationPlain)(&o), millis(o.CreatedAt), millis(o.UpdatedAt)})
}

// organizationEssential holds the essential fields of a [Organization],
// which [Event.Organization] decodes strictly: their JSON types are
// checked, their values are not kept (see decodeData).
type organizationEssential struct {
	ID        string       `json:"id"`
	Name      string       `json:"name"`
	Slug      string       `json:"slug"`
	ImageURL  string       `json:"image_url"`
	CreatedAt strictMillis `json:"created_at"`
	UpdatedAt strictMillis `json:"updated_at"`
}

// Organization decodes Data as an [Organization] (organization.created,
// organization.updated). It fails with [ErrMalformedPayload] if Data is not
// a JSON object, has no "id", or an essential field has another JSON
// type: id, name, slug and image_url must be strings (or null), created_at
// and updated_at integers; public_metadata may be any JSON. Any other
// field of an unexpected type is left at its zero value.
func (e Event) Organization() (*Organization, error) {
	return decodeData[Organization](e, func(x *organizationEssential) string { return x.ID })
}
