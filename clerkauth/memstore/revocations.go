package memstore

import (
	"context"
	"fmt"
	"time"
)

// sweepInterval is how often, by the store's clock, Revoke drops expired
// revocations.
const sweepInterval = time.Minute

// Revoke implements [clerkauth.RevocationStore]. A session revoked twice
// stays revoked until the later time. It fails with [ErrInvalid] for a
// session id that is empty, not valid UTF-8 or holds a NUL, or a zero
// time. Expired revocations are dropped at most once a minute, during a
// Revoke.
func (s *Store) Revoke(ctx context.Context, sessionID string, until time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore: revoke: %w", err)
	}
	if err := checkID("session", sessionID); err != nil {
		return err
	}
	if until.IsZero() {
		return fmt.Errorf("%w: zero revocation expiry", ErrInvalid)
	}
	until = stamp(until)
	now := s.now()
	s.revMu.Lock()
	defer s.revMu.Unlock()
	if !now.Before(s.nextSweep) {
		for id, u := range s.revoked {
			if !u.After(now) {
				delete(s.revoked, id)
			}
		}
		s.nextSweep = now.Add(sweepInterval)
	}
	if until.After(now) && until.After(s.revoked[sessionID]) {
		s.revoked[sessionID] = until
	}
	return nil
}

// Revoked implements [clerkauth.RevocationStore]: true while the store's
// clock is before the session's revocation expiry. An empty id is never
// revoked.
func (s *Store) Revoked(ctx context.Context, sessionID string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("memstore: revoked: %w", err)
	}
	now := s.now()
	s.revMu.Lock()
	until, ok := s.revoked[sessionID]
	s.revMu.Unlock()
	return ok && until.After(now), nil
}

// revocations returns the number of revocations held, expired ones not yet
// swept included (for tests).
func (s *Store) revocations() int {
	s.revMu.Lock()
	defer s.revMu.Unlock()
	return len(s.revoked)
}
