package webhook

import (
	"encoding/json"
	"fmt"
	"time"
)

// The typed payloads below hold the fields of Clerk's objects that a
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

// User is the data of [EventUserCreated] and [EventUserUpdated], and the
// user embedded in session events.
type User struct {
	ID                    string          `json:"id"`
	Object                string          `json:"object"` // "user"
	Username              string          `json:"username"`
	FirstName             string          `json:"first_name"`
	LastName              string          `json:"last_name"`
	ImageURL              string          `json:"image_url"`
	HasImage              bool            `json:"has_image"`
	PrimaryEmailAddressID string          `json:"primary_email_address_id"`
	PrimaryPhoneNumberID  string          `json:"primary_phone_number_id"`
	EmailAddresses        []EmailAddress  `json:"email_addresses"`
	PhoneNumbers          []PhoneNumber   `json:"phone_numbers"`
	ExternalID            string          `json:"external_id"`
	PublicMetadata        json.RawMessage `json:"public_metadata,omitempty"`
	PrivateMetadata       json.RawMessage `json:"private_metadata,omitempty"`
	UnsafeMetadata        json.RawMessage `json:"unsafe_metadata,omitempty"`
	PasswordEnabled       bool            `json:"password_enabled"`
	TwoFactorEnabled      bool            `json:"two_factor_enabled"`
	Banned                bool            `json:"banned"`
	Locked                bool            `json:"locked"`
	LastSignInAt          time.Time       `json:"last_sign_in_at"`
	LastActiveAt          time.Time       `json:"last_active_at"`
	// CreatedAt and UpdatedAt are Clerk's; UpdatedAt orders updates of
	// one user (Svix does not guarantee delivery order).
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// EmailAddress is one entry of [User.EmailAddresses].
type EmailAddress struct {
	ID           string        `json:"id"` // "idn_…"
	EmailAddress string        `json:"email_address"`
	Verification *Verification `json:"verification"`
}

// PhoneNumber is one entry of [User.PhoneNumbers].
type PhoneNumber struct {
	ID           string        `json:"id"`
	PhoneNumber  string        `json:"phone_number"`
	Verification *Verification `json:"verification"`
}

// Verification is the verification state of an email address or phone
// number.
type Verification struct {
	Status   string `json:"status"` // "verified", "unverified", …
	Strategy string `json:"strategy"`
}

// Verified reports whether the address's verification status is
// "verified".
func (a EmailAddress) Verified() bool {
	return a.Verification != nil && a.Verification.Status == "verified"
}

// PrimaryEmailAddress returns the entry of EmailAddresses whose id is
// PrimaryEmailAddressID, or nil.
func (u *User) PrimaryEmailAddress() *EmailAddress {
	if u.PrimaryEmailAddressID == "" {
		return nil
	}
	for i := range u.EmailAddresses {
		if u.EmailAddresses[i].ID == u.PrimaryEmailAddressID {
			return &u.EmailAddresses[i]
		}
	}
	return nil
}

// PrimaryEmail returns the primary email address, or "" when the user has
// none.
func (u *User) PrimaryEmail() string {
	if a := u.PrimaryEmailAddress(); a != nil {
		return a.EmailAddress
	}
	return ""
}

// userWire is the wire form of User: the time fields at depth 0 shadow the
// time.Time fields of the embedded struct (encoding/json prefers the
// shallower field).
type userWire struct {
	*userPlain
	LastSignInAt millis `json:"last_sign_in_at"`
	LastActiveAt millis `json:"last_active_at"`
	CreatedAt    millis `json:"created_at"`
	UpdatedAt    millis `json:"updated_at"`
}

type userPlain User

// userWireIn decodes a User: the lists at depth 0 shadow the embedded ones
// and keep each entry's verification raw, so that one that is not an
// object leaves the pointer nil rather than pointing to an empty value.
type userWireIn struct {
	userWire
	EmailAddresses []emailAddressIn `json:"email_addresses"`
	PhoneNumbers   []phoneNumberIn  `json:"phone_numbers"`
}

type (
	emailAddressPlain EmailAddress
	emailAddressIn    struct {
		emailAddressPlain
		Verification json.RawMessage `json:"verification"`
	}
	phoneNumberPlain PhoneNumber
	phoneNumberIn    struct {
		phoneNumberPlain
		Verification json.RawMessage `json:"verification"`
	}
)

// UnmarshalJSON decodes Clerk's wire format leniently (see the payload
// types above); [Event.User] adds the strict check.
func (u *User) UnmarshalJSON(b []byte) error {
	w := userWireIn{userWire: userWire{userPlain: (*userPlain)(u)}}
	if err := unmarshalLenient(b, &w); err != nil {
		return err
	}
	u.EmailAddresses, u.PhoneNumbers = nil, nil
	if w.EmailAddresses != nil {
		u.EmailAddresses = make([]EmailAddress, len(w.EmailAddresses))
		for i, a := range w.EmailAddresses {
			v, err := decodeObject[Verification](a.Verification)
			if err != nil {
				return err
			}
			u.EmailAddresses[i] = EmailAddress(a.emailAddressPlain)
			u.EmailAddresses[i].Verification = v
		}
	}
	if w.PhoneNumbers != nil {
		u.PhoneNumbers = make([]PhoneNumber, len(w.PhoneNumbers))
		for i, p := range w.PhoneNumbers {
			v, err := decodeObject[Verification](p.Verification)
			if err != nil {
				return err
			}
			u.PhoneNumbers[i] = PhoneNumber(p.phoneNumberPlain)
			u.PhoneNumbers[i].Verification = v
		}
	}
	u.LastSignInAt = time.Time(w.LastSignInAt)
	u.LastActiveAt = time.Time(w.LastActiveAt)
	u.CreatedAt = time.Time(w.CreatedAt)
	u.UpdatedAt = time.Time(w.UpdatedAt)
	return nil
}

// MarshalJSON encodes Clerk's wire format (times in milliseconds).
func (u User) MarshalJSON() ([]byte, error) {
	return json.Marshal(userWire{(*userPlain)(&u),
		millis(u.LastSignInAt), millis(u.LastActiveAt), millis(u.CreatedAt), millis(u.UpdatedAt)})
}

// DeletedObject is the data of [EventUserDeleted] and
// [EventOrganizationDeleted]. It has no updated_at: order a delete by the
// event's [Event.Timestamp].
type DeletedObject struct {
	Object     string `json:"object"` // "user" or "organization"
	ID         string `json:"id"`
	Slug       string `json:"slug"` // organizations only
	Deleted    bool   `json:"deleted"`
	ExternalID string `json:"external_id"` // users only
}

type deletedPlain DeletedObject

// UnmarshalJSON decodes Clerk's wire format leniently (see the payload
// types above); [Event.DeletedObject] adds the strict check.
func (d *DeletedObject) UnmarshalJSON(b []byte) error {
	return unmarshalLenient(b, (*deletedPlain)(d))
}

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

// UnmarshalJSON decodes Clerk's wire format leniently (see the payload
// types above); [Event.Organization] adds the strict check.
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

// OrganizationMembership is the data of the organizationMembership.*
// events, the deleted one included.
type OrganizationMembership struct {
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

// PublicUserData identifies the member of an [OrganizationMembership].
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

type membershipPlain OrganizationMembership

// UnmarshalJSON decodes Clerk's wire format leniently (see the payload
// types above); [Event.Membership] adds the strict check.
func (m *OrganizationMembership) UnmarshalJSON(b []byte) error {
	w := membershipWire{membershipPlain: (*membershipPlain)(m)}
	if err := unmarshalLenient(b, &w); err != nil {
		return err
	}
	m.CreatedAt, m.UpdatedAt = time.Time(w.CreatedAt), time.Time(w.UpdatedAt)
	return nil
}

// MarshalJSON encodes Clerk's wire format (times in milliseconds).
func (m OrganizationMembership) MarshalJSON() ([]byte, error) {
	return json.Marshal(membershipWire{(*membershipPlain)(&m), millis(m.CreatedAt), millis(m.UpdatedAt)})
}

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

// UnmarshalJSON decodes Clerk's wire format leniently (see the payload
// types above); [Event.Session] adds the strict check.
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

// The essential fields of each payload, decoded strictly (see the
// decoding rule in the package documentation): a field here of another
// JSON type than its Go type makes the payload malformed. They are the
// fields [Handler.Sync] reads, and those a decision about the record
// depends on. Metadata (public_metadata) is stored as sent, so any JSON
// value is right and it needs no check.
type (
	userEssential struct {
		ID                    string `json:"id"`
		PrimaryEmailAddressID string `json:"primary_email_address_id"`
		EmailAddresses        []struct {
			ID           string `json:"id"`
			EmailAddress string `json:"email_address"`
		} `json:"email_addresses"`
		FirstName string       `json:"first_name"`
		LastName  string       `json:"last_name"`
		Username  string       `json:"username"`
		ImageURL  string       `json:"image_url"`
		CreatedAt strictMillis `json:"created_at"`
		UpdatedAt strictMillis `json:"updated_at"`
	}
	deletedEssential struct {
		ID string `json:"id"`
	}
	organizationEssential struct {
		ID        string       `json:"id"`
		Name      string       `json:"name"`
		Slug      string       `json:"slug"`
		ImageURL  string       `json:"image_url"`
		CreatedAt strictMillis `json:"created_at"`
		UpdatedAt strictMillis `json:"updated_at"`
	}
	membershipEssential struct {
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
	sessionEssential struct {
		ID     string `json:"id"`
		UserID string `json:"user_id"`
		Status string `json:"status"`
	}
)

// User decodes Data as a [User] (user.created, user.updated). It fails
// with [ErrMalformedPayload] if Data is not a JSON object, has no "id", or
// an essential field has another JSON type: id, primary_email_address_id,
// email_addresses[].id and .email_address, first_name, last_name,
// username and image_url must be strings (or null), email_addresses an
// array of objects, created_at and updated_at integers; public_metadata
// may be any JSON. Any other field of an unexpected type is left at its
// zero value.
func (e Event) User() (*User, error) {
	return decodeData[User](e, func(x *userEssential) string { return x.ID })
}

// DeletedObject decodes Data as a [DeletedObject] (user.deleted,
// organization.deleted). It fails with [ErrMalformedPayload] if Data is
// not a JSON object or has no "id" (a string). Any other field of an
// unexpected type is left at its zero value.
func (e Event) DeletedObject() (*DeletedObject, error) {
	return decodeData[DeletedObject](e, func(x *deletedEssential) string { return x.ID })
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

// Membership decodes Data as an [OrganizationMembership]
// (organizationMembership.created, .updated, .deleted). It fails with
// [ErrMalformedPayload] if Data is not a JSON object, has no "id", or an
// essential field has another JSON type: id and role must be strings (or
// null), permissions an array of strings, created_at and updated_at
// integers, organization an object whose id is a string, public_user_data
// an object whose user_id is a string. Any other field of an unexpected
// type (the rest of the embedded organization included) is left at its
// zero value.
func (e Event) Membership() (*OrganizationMembership, error) {
	return decodeData[OrganizationMembership](e, func(x *membershipEssential) string { return x.ID })
}

// Session decodes Data as a [Session] (session.*). It fails with
// [ErrMalformedPayload] if Data is not a JSON object, has no "id", or
// id, user_id or status is not a string (or null). Any other field of an
// unexpected type is left at its zero value: a revocation is applied
// whatever Clerk sends in latest_activity or the embedded user.
func (e Event) Session() (*Session, error) {
	return decodeData[Session](e, func(x *sessionEssential) string { return x.ID })
}

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
