// Package memstore keeps Clerk users, organizations, memberships and
// session revocations in memory: the embedded default for a single
// replica, for tests and for local development. Its [Store] implements
// [store.Users], [store.Orgs] and [store.Revocations], passes the
// conformance kit
// [github.com/unioneyes/authkit/clerkauth/store/storetest.Run], and loses
// everything when the process exits (the next webhooks and sign-ins fill
// it again).
//
// # A complete flow
//
// One Store serves the webhook endpoint, which keeps it in sync with
// Clerk, and the request path, which reads it:
//
//	mem := memstore.New(memstore.Config{})
//	verifier, err := clerkauth.NewVerifier(clerkauth.Config{
//		Keys: keys, Issuer: issuer,
//		Users:       mem, // users provisioned on first request, deactivated ones refused
//		Revocations: mem,
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//
//	hooks, err := webhook.NewHandler(webhook.HandlerConfig{Verifier: webhookVerifier})
//	if err != nil {
//		log.Fatal(err)
//	}
//	err = hooks.Sync(webhook.SyncConfig{
//		Users:       verifier.Users(), // through the verifier's cache: effective at once
//		Orgs:        mem,
//		Revocations: mem, // session.revoked / ended / removed
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	mux.Handle("/webhooks/clerk", hooks)
//
//	// Later, in a handler behind the session middleware:
//	u, err := mem.GetUser(ctx, session.UserID)
//	switch {
//	case errors.Is(err, store.ErrNotFound):
//		// not synced yet: provision it from the token
//	case err != nil:
//		// cannot happen with memstore except for an ended context
//	case !u.Active():
//		// deactivated by user.deleted: refuse
//	}
//	members, err := mem.ListMembers(ctx, orgID) // active ones of active users, by user id
//
// # Rules
//
// Writes follow the contract of package store: an upsert applies only
// when its UpdatedAt is after the stored one (equal and older versions are
// ignored and reported as not applied), deletions are tombstones keeping
// the later time, a deleted user or organization stays deleted, and a
// membership is active again only when written with an UpdatedAt after its
// latest deletion. Each write happens under the store's lock, so
// concurrent writers of one record cannot undo each other.
//
// The lists ([Store.ListMembers], [Store.ListUserMemberships]) leave out
// the memberships of an organization the store holds as deleted and of a
// user it holds as deactivated, whatever the order their events arrived
// in; [Store.GetMembership] still returns those records.
//
// Records are deep-copied in and out. Each upsert keeps the record as its
// Clean method returns it ([store.User.Clean]), as sqlstore does: NUL
// bytes and invalid UTF-8 become U+FFFD (see [Store]), so that a program
// sees the same records on both. Times are kept to the nanosecond (Clerk
// sends milliseconds); the monotonic clock reading is dropped. Revocations
// expire by [Config.Now] and are swept at most once a minute. Writes of a
// nil record, with an id [store.CleanID] refuses, a zero deletion time or
// invalid metadata JSON fail with an error wrapping [store.ErrInvalid].
package memstore
