package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/unioneyes/authkit/clerkauth/store"
)

// cleanupInterval is how often, at most, Revoke deletes expired
// revocations.
const cleanupInterval = time.Minute

// Revoke implements [store.Revocations] in one statement; a session
// revoked twice stays revoked until the later time. A time already past
// records nothing. It fails with an error wrapping [store.ErrInvalid] for
// an id [store.CleanID] refuses or a zero time.
//
// At most once a minute, a Revoke also deletes the expired revocations
// (a failure of that cleanup is ignored: the next one retries);
// [Store.DeleteExpiredRevocations] does it on demand.
func (s *Store) Revoke(ctx context.Context, sessionID string, until time.Time) error {
	if err := deletion("revoke", until, "session", sessionID); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sqlstore: revoke %s: %w", store.QuoteID(sessionID), err)
	}
	now := s.now()
	if until.After(now) {
		if _, err := s.db.ExecContext(ctx, s.q.revoke, sessionID, ceilMillis(until)); err != nil {
			return fmt.Errorf("sqlstore: revoke %s: %w", store.QuoteID(sessionID), err)
		}
	}
	next := s.nextCleanup.Load()
	if nowMs := now.UnixMilli(); nowMs >= next && s.nextCleanup.CompareAndSwap(next, nowMs+cleanupInterval.Milliseconds()) {
		_, _ = s.db.ExecContext(ctx, s.q.deleteExpired, nowMs)
	}
	return nil
}

// Revoked implements [store.Revocations]: true while the store's clock is
// before the revocation's end. An id [Store.Revoke] refuses is never
// revoked.
func (s *Store) Revoked(ctx context.Context, sessionID string) (bool, error) {
	if store.CleanID("session", sessionID) != nil {
		return false, notStorable(ctx, "revoked", nil)
	}
	var one int
	err := s.db.QueryRowContext(ctx, s.q.revoked, sessionID, s.now().UnixMilli()).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sqlstore: revoked %s: %w", store.QuoteID(sessionID), err)
	}
	return true, nil
}

// DeleteExpiredRevocations deletes the revocations that have ended and
// returns how many there were, for a periodic job; [Store.Revoke] also
// does it, at most once a minute.
func (s *Store) DeleteExpiredRevocations(ctx context.Context) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.q.deleteExpired, s.now().UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("sqlstore: delete expired revocations: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqlstore: delete expired revocations: %w", err)
	}
	return n, nil
}
