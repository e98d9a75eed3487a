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
// webhook-* names of white-labelled Svix):
//
//   - both header families are accepted; conflicting values are refused,
//     and so is a signature header longer than 4 KiB, before any HMAC;
//   - the timestamp must be digits only and within the tolerance (±5
//     minutes by default, in whole seconds, both directions) of an
//     injectable clock;
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
// at its zero value and the rest is decoded.
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
// from running. Refusals are written by [HandlerConfig.OnFailure]
// (default [orgctx.WriteFailure]); registering an empty type or a nil
// function panics.
//
// # Deduplication
//
// Svix delivers at least once, and every retry of a message carries the
// same id (svix-id) with a fresh timestamp and signature. The Handler
// claims the id in a [store.Dedupe] before running the functions, marks it
// done after they succeed (kept 72 h by default) and releases it when they
// fail or panic, so the retry runs them again. A done id is answered 200
// without running anything; an id another delivery is processing at that
// moment is answered 409 with Retry-After. Claims are leases (2 minutes by
// default) so that a crashed process does not block an id. [MemoryDedupe]
// serves a single replica; a shared store
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
// to a [store.Revocations]. A store failure answers 500 so that Svix
// retries; [SyncConfig.OnChange] tells an in-process cache what changed:
//
//	err := hooks.Sync(webhook.SyncConfig{
//		Users:       userCache, // the clerkauth.UserCache the verifier checks users with
//		Orgs:        store,
//		Revocations: redisStore,
//	})
//
// Give Users the [github.com/unioneyes/authkit/clerkauth.UserCache] the
// verifier uses rather than the store behind it: the write then also drops
// the user from the cache, so a user.deleted refuses the user's next
// request at once instead of when the cache entry expires.
//
// Duplicates change nothing, and the order of delivery does not matter as
// long as the versions differ: an update wins over an older one (by
// Clerk's updated_at), a deletion over every version up to its time. Two
// different updates of one record that carry the same updated_at (Clerk's
// times are in milliseconds) are not ordered: the store keeps whichever it
// received first and ignores the other, so the final state can then
// depend on the order of delivery.
//
// # Design notes
//
// Verification wraps the Standard Webhooks library
// (github.com/standard-webhooks/standard-webhooks/libraries), which reads
// only the webhook-* headers, checks the timestamp against time.Now with a
// fixed window and accepts an empty secret: the Verifier reads both header
// families, checks the timestamp itself against its own clock, refuses
// weak secrets at construction and lets the library decide only the
// signature. The signature header is bounded because every configured
// secret would otherwise cost a pass over an attacker's megabyte of header.
//
// Decoding is lenient beyond the essential fields so that a change in the
// type of a field nothing here acts on (say latest_activity.is_mobile
// becoming a string) cannot make a security event such as session.revoked
// fail open; a malformed event is acknowledged, not retried, because a
// retry would carry the same bytes.
//
// A duplicate that another delivery is still processing is answered 409,
// not 2xx: Svix sends the attempts of one message one after another, so two
// deliveries of one id overlap only when Svix gave up on the first (15 s
// timeout) while it was still running here. Svix then only sees the second
// answer: a 2xx would end the message even if the first delivery went on
// to fail and release its claim, and the event would be lost. A 409 makes
// Svix retry later, when the first delivery has either succeeded (the
// retry gets 200 "duplicate") or failed (the retry runs the functions). The
// done mark outlives Svix's retry schedule (about 27.6 h); the claim lease
// is minutes because Svix gives up on a delivery after 15 s.
package webhook
