package store

import "errors"

var (
	// ErrNotFound is what a store returns for a record it does not have. Any other error
	// is a failure of the store itself (the database is down, the context ended), never
	// "not found": callers answer the two differently (create the user; answer 503).
	ErrNotFound = errors.New("store: not found")

	// ErrInvalid is wrapped by every refusal of a store: a nil record, a record whose
	// Clean fails ([User.Clean], [Organization.Clean], [Membership.Clean]), a user,
	// organization or session id [CleanID] refuses, a zero deletion or revocation time;
	// for [Dedupe], an empty owner or a lease or TTL that is not positive. A refused call
	// writes nothing. The error's message never quotes more than the first 64 bytes of
	// an id.
	ErrInvalid = errors.New("store: invalid record")
)
