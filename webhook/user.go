package webhook

import (
	"encoding/json"
	"time"
)

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

// UnmarshalJSON decodes Clerk's wire format leniently (see "Events"
// in the package documentation); [Event.User] adds the strict check.
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

// userEssential holds the essential fields of a [User], which [Event.User]
// decodes strictly: their JSON types are checked, their values are not kept
// (see decodeData).
type userEssential struct {
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
