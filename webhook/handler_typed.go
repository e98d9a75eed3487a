package webhook

import "context"

// Typed registrations: each decodes [Event.Data] into its payload before
// calling fn, with the accessor of its type ([Event.User], …): lenient for
// fields nothing decides on, strict for the essential ones. A payload that
// does not decode (no id, or an essential field of the wrong JSON type)
// never reaches fn: the error wraps [ErrMalformedPayload], so the Handler
// logs it, runs the functions registered after it and acknowledges the
// message instead of having Svix retry it. A nil fn panics, as in
// [Handler.On].

// OnUserCreated registers fn for [EventUserCreated].
func (h *Handler) OnUserCreated(fn func(ctx context.Context, e Event, u *User) error) {
	h.On(EventUserCreated, typed(fn, Event.User))
}

// OnUserUpdated registers fn for [EventUserUpdated].
func (h *Handler) OnUserUpdated(fn func(ctx context.Context, e Event, u *User) error) {
	h.On(EventUserUpdated, typed(fn, Event.User))
}

// OnUserDeleted registers fn for [EventUserDeleted].
func (h *Handler) OnUserDeleted(fn func(ctx context.Context, e Event, d *DeletedObject) error) {
	h.On(EventUserDeleted, typed(fn, Event.DeletedObject))
}

// OnOrganizationCreated registers fn for [EventOrganizationCreated].
func (h *Handler) OnOrganizationCreated(fn func(ctx context.Context, e Event, o *Organization) error) {
	h.On(EventOrganizationCreated, typed(fn, Event.Organization))
}

// OnOrganizationUpdated registers fn for [EventOrganizationUpdated].
func (h *Handler) OnOrganizationUpdated(fn func(ctx context.Context, e Event, o *Organization) error) {
	h.On(EventOrganizationUpdated, typed(fn, Event.Organization))
}

// OnOrganizationDeleted registers fn for [EventOrganizationDeleted].
func (h *Handler) OnOrganizationDeleted(fn func(ctx context.Context, e Event, d *DeletedObject) error) {
	h.On(EventOrganizationDeleted, typed(fn, Event.DeletedObject))
}

// OnMembershipCreated registers fn for
// [EventMembershipCreated].
func (h *Handler) OnMembershipCreated(fn func(ctx context.Context, e Event, m *Membership) error) {
	h.On(EventMembershipCreated, typed(fn, Event.Membership))
}

// OnMembershipUpdated registers fn for
// [EventMembershipUpdated].
func (h *Handler) OnMembershipUpdated(fn func(ctx context.Context, e Event, m *Membership) error) {
	h.On(EventMembershipUpdated, typed(fn, Event.Membership))
}

// OnMembershipDeleted registers fn for
// [EventMembershipDeleted]; the payload is the full membership
// as it was.
func (h *Handler) OnMembershipDeleted(fn func(ctx context.Context, e Event, m *Membership) error) {
	h.On(EventMembershipDeleted, typed(fn, Event.Membership))
}

// OnSession registers fn for every session event: [EventSessionCreated],
// [EventSessionPending], [EventSessionEnded], [EventSessionRemoved] and
// [EventSessionRevoked]; e.Type tells them apart. To handle only one, use
// [Handler.On] and [Event.Session].
func (h *Handler) OnSession(fn func(ctx context.Context, e Event, s *Session) error) {
	wrapped := typed(fn, Event.Session)
	for _, t := range [...]string{EventSessionCreated, EventSessionPending, EventSessionEnded, EventSessionRemoved, EventSessionRevoked} {
		h.On(t, wrapped)
	}
}

// typed adapts a typed function to an EventFunc; nil stays nil so that On
// panics on it.
func typed[T any](fn func(context.Context, Event, *T) error, decode func(Event) (*T, error)) EventFunc {
	if fn == nil {
		return nil
	}
	return func(ctx context.Context, e Event) error {
		v, err := decode(e)
		if err != nil {
			return err
		}
		return fn(ctx, e, v)
	}
}
