// Package webhook receives Clerk webhooks: it verifies their Svix (Standard
// Webhooks) signatures, decodes Clerk's event envelope into typed payloads
// and dispatches events to functions, once per message.
//
// # A complete endpoint
//
//	verifier, err := webhook.NewVerifier(webhook.VerifierConfig{
//		// "whsec_…" from the Clerk dashboard (Webhooks → endpoint → Signing Secret).
//		Secrets: []string{os.Getenv("CLERK_WEBHOOK_SIGNING_SECRET")},
//	})
//	if err != nil {
//		log.Fatal(err) // empty, malformed or short secret
//	}
//	hooks, err := webhook.NewHandler(webhook.HandlerConfig{
//		Verifier: verifier,
//		Dedupe:   redisDedupe, // nil: in memory, right for a single replica
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	hooks.OnUserCreated(func(ctx context.Context, e webhook.Event, u *webhook.User) error {
//		return users.Upsert(ctx, u.ID, u.PrimaryEmail(), u.FirstName, u.LastName, u.UpdatedAt)
//	})
//	hooks.OnUserUpdated(func(ctx context.Context, e webhook.Event, u *webhook.User) error {
//		return users.Upsert(ctx, u.ID, u.PrimaryEmail(), u.FirstName, u.LastName, u.UpdatedAt)
//	})
//	hooks.OnUserDeleted(func(ctx context.Context, e webhook.Event, d *webhook.DeletedObject) error {
//		return users.Tombstone(ctx, d.ID, e.Timestamp) // deletes carry no updated_at
//	})
//	hooks.On("organizationInvitation.accepted", func(ctx context.Context, e webhook.Event) error {
//		var inv struct{ ID, EmailAddress string `json:"email_address"` }
//		return json.Unmarshal(e.Data, &inv) // any type Clerk sends, raw
//	})
//
//	mux := http.NewServeMux()
//	mux.Handle("/webhooks/clerk", hooks) // outside any session middleware
//	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second}
//
// # Verification
//
// [Verifier.Verify] checks the raw body against the svix-id,
// svix-timestamp and svix-signature headers that Clerk sends (or the
// webhook-* names of white-labelled Svix), with the dependency the project
// chose, github.com/standard-webhooks/standard-webhooks/libraries v0.0.1.
// That library reads only webhook-* headers, checks the timestamp with
// time.Now and a fixed 5-minute window, and accepts an empty secret (a
// forged webhook then passes), so the Verifier wraps it:
//
//   - both header families are accepted; conflicting values are refused,
//     and so is a signature header longer than [MaxSignatureHeaderBytes]
//     (4 KiB; Svix sends 48 bytes per active secret), before any HMAC;
//   - the timestamp is checked here (digits only, both directions, in whole
//     seconds, ±5 minutes by default, against an injectable clock); the
//     library then decides the signature with VerifyIgnoringTimestamp;
//   - several secrets may be configured, for rotation: install the new one
//     next to the old, switch in Clerk, then remove the old one;
//   - secrets are checked once, at construction: empty, non-base64 and
//     shorter-than-24-byte keys are refused (MinKeyBytes lowers the
//     minimum explicitly);
//   - every failure has a sentinel ([ErrMissingHeaders],
//     [ErrInvalidHeaders], [ErrInvalidMessageID], [ErrInvalidTimestamp],
//     [ErrTimestampTooOld], [ErrTimestampTooNew], [ErrNoMatchingSignature],
//     [ErrBodyTooLarge]) for [errors.Is]; no error or log line ever holds a
//     secret or a signature.
//
// Cost: the library builds the signed content with fmt.Sprintf and copies
// the body twice per call, which makes it (and so Verify, which adds a few
// percent) about twice as slow as one bare HMAC-SHA256 of the same bytes;
// see BenchmarkVerify.
//
// # Events
//
// [ParseEvent] decodes the envelope ([Event]): type, object, timestamp
// (documented in milliseconds; 10-digit values are read as seconds),
// instance id, event attributes and the raw data. Typed accessors decode
// the data: [Event.User], [Event.DeletedObject], [Event.Organization],
// [Event.Membership], [Event.Session]. Clerk's millisecond times become
// [time.Time]; unknown fields and unknown event types are accepted.
//
// Decoding is strict only where a decision depends on it. Each decoder
// names its essential fields (the envelope: type, timestamp, data; a
// session: id, user_id, status; a user: id, its times, names, emails and
// image; …) and checks their JSON types strictly: a wrong one makes the
// event or payload malformed ([ErrMalformedEvent], [ErrMalformedPayload]),
// which the Handler acknowledges and logs rather than guess. Every other
// field is decoded leniently: a field of an unexpected JSON type is left
// at its zero value and the rest is decoded. So when Clerk changes the
// type of a field nothing here acts on (say latest_activity.is_mobile
// becomes a string), a session.revoked is still applied: a payload change
// must not make a security event fail open.
//
// # Handler
//
// [Handler] is the endpoint: POST only (405), a body limit enforced while
// reading (413; the buffer grows with the bytes received, not with the
// declared length), verification before any parsing (400 with a generic
// body, the reason logged at most once per 10 s), dispatch by type to the
// functions registered with [Handler.On] or the typed helpers
// ([Handler.OnUserCreated], …), 2xx for unknown types and for verified
// bodies that can never be processed (logged), 500 when a function fails
// or panics so that Svix retries. A function that finds the payload
// malformed ([ErrMalformedPayload]) does not keep the functions after it
// from running.
//
// # Deduplication
//
// Svix delivers at least once, and every retry of a message carries the
// same id (svix-id) with a fresh timestamp and signature. The Handler
// claims the id in a [store.Dedupe] before running the functions, marks it
// done after they succeed (kept [DefaultDedupeTTL], 72 h, beyond Svix's
// ~27.6 h retry schedule) and releases it when they fail or panic, so the
// retry runs them again. A done id is answered 200 without running
// anything. An id another delivery is processing at that moment is
// answered 409, so that Svix retries it later rather than count it
// delivered while the outcome is unknown (see [Handler] for why). Claims
// are leases ([DefaultClaimLease]) so that a crashed process does not block
// an id. [MemoryDedupe] serves a single replica; a shared store
// ([github.com/unioneyes/authkit/clerkauth/redisstore]) implements the same
// interface and proves it with the conformance kit,
// [github.com/unioneyes/authkit/clerkauth/store/storetest.RunDedupe].
//
// Deduplication is an optimisation: functions must still be idempotent and
// order-independent (compare Clerk's updated_at, or the event timestamp for
// deletes), since Svix does not guarantee order and marks expire.
//
// # Keeping stores in sync
//
// [Handler.Sync] registers those functions for you: user, organization and
// membership events go to a [store.Users] and a [store.Orgs] (versioned
// upserts, tombstones for deletions), session.revoked, .ended and .removed
// to a [store.Revocations]. A store failure answers
// 500 so that Svix retries; [SyncConfig.OnChange] tells an in-process
// cache what changed:
//
//	err := hooks.Sync(webhook.SyncConfig{
//		Users:       verifier.Users(), // the clerkauth verifier's user cache, over store
//		Orgs:        store,
//		Revocations: redisStore,
//	})
//
// Give Users the clerkauth verifier's
// [github.com/unioneyes/authkit/clerkauth.Verifier.Users] rather than the
// store behind it: the write then also drops the user from the verifier's
// in-process cache, so a user.deleted refuses the user's next request at once
// instead of when the cache entry expires.
//
// Duplicates change nothing, and the order of delivery does not matter as
// long as the versions differ: an update wins over an older one (by
// Clerk's updated_at), a deletion over every version up to its time. Two
// different updates of one record that carry the same updated_at (Clerk's
// times are in milliseconds) are not ordered: the store keeps whichever it
// received first and ignores the other, so the final state can then
// depend on the order of delivery.
package webhook
