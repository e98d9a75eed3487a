package webhook_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/webhook"
)

// Every typed registration is bound to its event types and payload.
func TestHandlerTypedRegistrations(t *testing.T) {
	t.Parallel()
	const (
		deleted    = `{"object":"user","id":"user_1","deleted":true}`
		org        = `{"object":"organization","id":"org_1","name":"Acme","slug":"acme","updated_at":1716883200000}`
		membership = `{"object":"organization_membership","id":"orgmem_1","role":"org:admin","permissions":["org:sys_memberships:manage"],
		  "organization":{"id":"org_1","slug":"acme"},"public_user_data":{"user_id":"user_1"},"updated_at":1716883200000}`
		session = `{"object":"session","id":"sess_1","user_id":"user_1","status":"revoked","expire_at":1716969600000}`
	)
	type reg struct {
		register func(h *webhook.Handler, got *[]string)
		types    []string
		data     string
	}
	record := func(got *[]string, e webhook.Event, id string) error {
		*got = append(*got, e.Type+" "+id)
		return nil
	}
	regs := map[string]reg{
		"OnUserCreated": {func(h *webhook.Handler, got *[]string) {
			h.OnUserCreated(func(_ context.Context, e webhook.Event, u *webhook.User) error {
				return record(got, e, u.PrimaryEmail())
			})
		}, []string{webhook.EventUserCreated}, userData},
		"OnUserUpdated": {func(h *webhook.Handler, got *[]string) {
			h.OnUserUpdated(func(_ context.Context, e webhook.Event, u *webhook.User) error {
				return record(got, e, u.PrimaryEmail())
			})
		}, []string{webhook.EventUserUpdated}, userData},
		"OnUserDeleted": {func(h *webhook.Handler, got *[]string) {
			h.OnUserDeleted(func(_ context.Context, e webhook.Event, d *webhook.DeletedObject) error { return record(got, e, d.ID) })
		}, []string{webhook.EventUserDeleted}, deleted},
		"OnOrganizationCreated": {func(h *webhook.Handler, got *[]string) {
			h.OnOrganizationCreated(func(_ context.Context, e webhook.Event, o *webhook.Organization) error { return record(got, e, o.Slug) })
		}, []string{webhook.EventOrganizationCreated}, org},
		"OnOrganizationUpdated": {func(h *webhook.Handler, got *[]string) {
			h.OnOrganizationUpdated(func(_ context.Context, e webhook.Event, o *webhook.Organization) error { return record(got, e, o.Slug) })
		}, []string{webhook.EventOrganizationUpdated}, org},
		"OnOrganizationDeleted": {func(h *webhook.Handler, got *[]string) {
			h.OnOrganizationDeleted(func(_ context.Context, e webhook.Event, d *webhook.DeletedObject) error { return record(got, e, d.ID) })
		}, []string{webhook.EventOrganizationDeleted}, deleted},
		"OnMembershipCreated": {func(h *webhook.Handler, got *[]string) {
			h.OnMembershipCreated(func(_ context.Context, e webhook.Event, m *webhook.Membership) error {
				return record(got, e, m.Organization.ID+"/"+m.PublicUserData.UserID+"/"+m.Role)
			})
		}, []string{webhook.EventMembershipCreated}, membership},
		"OnMembershipUpdated": {func(h *webhook.Handler, got *[]string) {
			h.OnMembershipUpdated(func(_ context.Context, e webhook.Event, m *webhook.Membership) error {
				return record(got, e, m.Organization.ID+"/"+m.PublicUserData.UserID+"/"+m.Role)
			})
		}, []string{webhook.EventMembershipUpdated}, membership},
		"OnMembershipDeleted": {func(h *webhook.Handler, got *[]string) {
			h.OnMembershipDeleted(func(_ context.Context, e webhook.Event, m *webhook.Membership) error {
				return record(got, e, m.Organization.ID+"/"+m.PublicUserData.UserID+"/"+m.Role)
			})
		}, []string{webhook.EventMembershipDeleted}, membership},
		"OnSession": {func(h *webhook.Handler, got *[]string) {
			h.OnSession(func(_ context.Context, e webhook.Event, s *webhook.Session) error {
				return record(got, e, s.UserID+"/"+s.Status)
			})
		}, []string{webhook.EventSessionCreated, webhook.EventSessionPending, webhook.EventSessionEnded, webhook.EventSessionRemoved, webhook.EventSessionRevoked}, session},
	}
	allTypes := []string{
		webhook.EventUserCreated, webhook.EventUserUpdated, webhook.EventUserDeleted,
		webhook.EventOrganizationCreated, webhook.EventOrganizationUpdated, webhook.EventOrganizationDeleted,
		webhook.EventMembershipCreated, webhook.EventMembershipUpdated, webhook.EventMembershipDeleted,
		webhook.EventSessionCreated, webhook.EventSessionPending, webhook.EventSessionEnded, webhook.EventSessionRemoved, webhook.EventSessionRevoked,
	}
	for name, r := range regs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			var got []string
			r.register(f.handler, &got)
			var want []string
			for i, typ := range allTypes {
				rec := f.serve(f.request(t, "msg_"+strconv.Itoa(i), event(typ, r.data)))
				require.Equal(t, http.StatusOK, rec.Code)
				for _, bound := range r.types {
					if typ == bound {
						want = append(want, typ)
					}
				}
			}
			require.Len(t, got, len(want))
			for i := range want {
				assert.True(t, strings.HasPrefix(got[i], want[i]+" "), "%s: got %q", want[i], got[i])
				assert.NotEqual(t, want[i]+" ", got[i], "payload field missing")
			}
		})
	}
}

func TestHandlerTypedPayloadMalformed(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	var c counter
	f.handler.OnUserCreated(func(ctx context.Context, e webhook.Event, _ *webhook.User) error { return c.fn(ctx, e) })
	body := event(webhook.EventUserCreated, `{"object":"user","first_name":"no id"}`)
	assertResponse(t, f.serve(f.request(t, "msg_1", body)), http.StatusOK, respIgnored)
	assert.Zero(t, c.n.Load())
	recs := f.logs.records(t, "webhook: event payload cannot be processed; acknowledged without retry")
	require.Len(t, recs, 1)
	assert.Equal(t, "msg_1", recs[0]["msg_id"])
	// Acknowledged means done: a redelivery is a duplicate.
	assertResponse(t, f.serve(f.request(t, "msg_1", body)), http.StatusOK, respDuplicate)

	t.Run("returned by a handler", func(t *testing.T) {
		f.handler.On("custom.event", func(context.Context, webhook.Event) error {
			return fmt.Errorf("cannot use this: %w", webhook.ErrMalformedPayload)
		})
		assertResponse(t, f.serve(f.request(t, "msg_2", event("custom.event", `{}`))), http.StatusOK, respIgnored)
	})
}
