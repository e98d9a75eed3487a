// Package store holds everything authkit persists and the contracts of the stores that
// keep it: the records ([User], [Organization], [Membership]), the store interfaces
// ([Users], [Orgs], [Revocations], and [Dedupe] for webhook deliveries), their errors
// ([ErrNotFound], [ErrInvalid]) and the rules for text and ids ([User.Clean],
// [Organization.Clean], [Membership.Clean], [CleanID]).
//
// It is the bottom of the house: it imports nothing of authkit, and everything that
// keeps or reads records imports it: the verifier's user cache and revocation check
// (package clerkauth), the webhook sync (package webhook), and the stores of this module,
// [github.com/unioneyes/authkit/clerkauth/memstore] (memory),
// [github.com/unioneyes/authkit/clerkauth/sqlstore] (PostgreSQL, SQLite) and
// [github.com/unioneyes/authkit/clerkauth/redisstore] (Redis: revocations, dedupe).
// A store of your own implements the interfaces and proves it with the conformance kit,
// [github.com/unioneyes/authkit/clerkauth/store/storetest].
//
// # Versions and tombstones
//
// Clerk's webhooks arrive in any order and more than once. Every write is therefore
// versioned: an upsert applies only when its UpdatedAt is after the stored one, and
// reports whether it applied; a deletion is a tombstone that keeps the later of the
// stored and the new time, created for an id the store does not know, so that an update
// delivered late cannot bring the record back. Any order and any duplication of the same
// writes then ends in the same state. A user's and an organization's deletion is final
// (Clerk never reuses their ids); a membership is active again when written with an
// UpdatedAt after its latest deletion. The interfaces say how each method applies these
// rules.
//
// # Text and ids
//
// Clerk sends what its users typed, and a JSON "\u0000" decodes to a NUL byte, which
// some databases refuse in text (PostgreSQL, with invalid UTF-8 too). A store must accept
// a record whatever its text fields and metadata hold: refusing it would fail the
// webhook, which Clerk would retry for a day, the event never applied. So a store keeps
// text as given, or cleans it as [User.Clean] does, replacing each NUL byte and each
// invalid UTF-8 sequence by U+FFFD (in metadata, each invalid sequence; its JSON escapes
// stay as they are); what it returns is valid UTF-8. The stores of this module call
// Clean once per write, so they all keep the same text.
//
// Ids are different: replacing bytes could make two ids one. An id that is empty, not
// valid UTF-8 or holds a NUL (no Clerk id does) is refused ([CleanID], an error wrapping
// [ErrInvalid]) and no record is found under it. Neither an error nor a log line ever
// quotes more than the first 64 bytes of an id ([QuoteID]): an id is whatever a caller
// sent, possibly megabytes long.
package store
