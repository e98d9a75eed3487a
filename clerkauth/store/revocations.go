package store

import (
	"context"
	"time"
)

// Revocations remembers sessions Clerk ended or revoked (session.revoked, session.ended,
// session.removed webhooks) until their last token has expired, so a still-valid token
// of a revoked session is refused. Shared by every replica when backed by Redis or a
// database. Implementations are safe for concurrent use; a context that has ended makes
// both methods fail.
type Revocations interface {
	// Revoke records sessionID as revoked until the given time (after which no token of
	// the session can verify anyway); a session revoked twice stays revoked until the
	// later time. It fails with [ErrInvalid] for an id [CleanID] refuses or a zero time.
	Revoke(ctx context.Context, sessionID string, until time.Time) error
	// Revoked reports whether sessionID is revoked. A failure is an error, never false.
	// An id Revoke refuses is never revoked.
	Revoked(ctx context.Context, sessionID string) (bool, error)
}
