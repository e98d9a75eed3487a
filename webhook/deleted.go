package webhook

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

// UnmarshalJSON decodes Clerk's wire format leniently (see "Events"
// in the package documentation); [Event.DeletedObject] adds the strict check.
func (d *DeletedObject) UnmarshalJSON(b []byte) error {
	return unmarshalLenient(b, (*deletedPlain)(d))
}

// deletedEssential holds the essential fields of a [DeletedObject], which
// [Event.DeletedObject] decodes strictly: their JSON types are checked,
// their values are not kept (see decodeData).
type deletedEssential struct {
	ID string `json:"id"`
}

// DeletedObject decodes Data as a [DeletedObject] (user.deleted,
// organization.deleted). It fails with [ErrMalformedPayload] if Data is
// not a JSON object or has no "id" (a string). Any other field of an
// unexpected type is left at its zero value.
func (e Event) DeletedObject() (*DeletedObject, error) {
	return decodeData[DeletedObject](e, func(x *deletedEssential) string { return x.ID })
}
