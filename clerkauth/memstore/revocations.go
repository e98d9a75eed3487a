package memstore

import (
	"context"
	"fmt"
	"time"
)

// sweepInterval is how often, by the store's clock, Revoke drops expired
// revocations.
const sweepInterval = time.Minute

// Revoke implements [store.Revocations]. A session revoked twice stays
// revoked until the later time. It fails with an error wrapping
// [store.ErrInvalid] for an id [store.CleanID] refuses or a zero time.
// Expired revocations are dropped at most once a minute, during a Revoke.
func (s *Store) Revoke(ctx context.Context, sessionID string, until time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore: revoke: %w", err)
	}
	until, err := deletion("revoke", "session", sessionID, until)
	if err != nil {
		return err
	}
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

// Revoked implements [store.Revocations]: true while the store's clock is
// before the session's revocation expiry. An id Revoke refuses is never
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
