package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/unioneyes/authkit/clerkauth/store"
)

// revokeScript sets KEYS[1] to expire at ARGV[1] (Unix ms, PXAT) unless it
// already lives longer, or ARGV[1] is past by the server's clock: a
// session revoked twice stays revoked until the later time.
const revokeScript = `
local untilms = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if untilms <= now then return 0 end
local pttl = redis.call('PTTL', KEYS[1])
if pttl == -1 or (pttl >= 0 and now + pttl >= untilms) then return 0 end
redis.call('SET', KEYS[1], '1', 'PXAT', ARGV[1])
return 1
`

// Revoke implements [store.Revocations]: the key
// "<prefix>revoked:<session id>" expires at until (SET PXAT, in a script
// that keeps a later expiry). It fails with an error wrapping
// [store.ErrInvalid] for an id [store.CleanID] refuses or a zero time. A
// time already past by the server's clock records nothing.
func (s *Store) Revoke(ctx context.Context, sessionID string, until time.Time) error {
	if err := store.CleanID("session", sessionID); err != nil {
		return refused("revoke", err)
	}
	if until.IsZero() {
		return invalid("revoke", "zero time")
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("redisstore: revoke %s: %w", store.QuoteID(sessionID), err)
	}
	untilMs := until.UnixMilli()
	if time.UnixMilli(untilMs).Before(until) {
		untilMs++ // never end earlier than asked
	}
	if err := s.revoke.Run(ctx, s.client, []string{s.revokedKey(sessionID)}, untilMs).Err(); err != nil {
		return fmt.Errorf("redisstore: revoke %s: %w", store.QuoteID(sessionID), err)
	}
	return nil
}

// Revoked implements [store.Revocations]: EXISTS on the session's key. A
// failure is an error, never false. An id Revoke refuses is never revoked.
func (s *Store) Revoked(ctx context.Context, sessionID string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("redisstore: revoked %s: %w", store.QuoteID(sessionID), err)
	}
	if store.CleanID("session", sessionID) != nil {
		return false, nil
	}
	n, err := s.client.Exists(ctx, s.revokedKey(sessionID)).Result()
	if err != nil {
		return false, fmt.Errorf("redisstore: revoked %s: %w", store.QuoteID(sessionID), err)
	}
	return n > 0, nil
}
