package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/unioneyes/authkit/clerkauth/store"
)

// The values of a dedupe key: "claimed:<owner>" while a delivery holds
// it, "done" once processed. A plain "claimed" (written by versions before
// claims had owners) still reads as a claim in progress, which only its
// lease ends.
const (
	valueClaimedPrefix = "claimed:"
	valueDone          = "done"
)

// claimScript claims KEYS[1] with the value ARGV[2] ("claimed:<owner>")
// for ARGV[1] ms unless it exists, and reports the outcome in the same
// atomic step: 1 acquired, 2 in progress, 3 done, 0 an unexpected value.
const claimScript = `
if redis.call('SET', KEYS[1], ARGV[2], 'NX', 'PX', ARGV[1]) then
  return 1
end
local v = redis.call('GET', KEYS[1])
if v == 'done' then return 3 end
if v == 'claimed' or (type(v) == 'string' and string.sub(v, 1, 8) == 'claimed:') then return 2 end
return 0
`

// releaseScript deletes KEYS[1] only while it holds ARGV[1], the
// releasing owner's "claimed:<owner>": a release that comes late never
// removes a done mark, nor the claim of a delivery that took the id over
// after the releasing one's lease expired.
const releaseScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`

// milliseconds rounds d up to whole milliseconds, at least 1.
func milliseconds(d time.Duration) int64 {
	ms := int64(d / time.Millisecond)
	if d%time.Millisecond != 0 {
		ms++
	}
	return max(ms, 1)
}

// Claim implements [store.Dedupe]: SET key "claimed:<owner>" NX PX and,
// when the key exists, its state, in one script. It fails with
// [store.ErrInvalid] for an empty owner or a lease that is not positive, and
// with [ErrUnexpectedValue] when the key holds a value this package does
// not write.
func (s *Store) Claim(ctx context.Context, id, owner string, lease time.Duration) (store.ClaimResult, error) {
	if lease <= 0 {
		return 0, invalid("claim", "lease must be positive")
	}
	if owner == "" {
		return 0, invalid("claim", "owner must not be empty")
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("redisstore: claim %s: %w", store.QuoteID(id), err)
	}
	n, err := s.claim.Run(ctx, s.client, []string{s.dedupeKey(id)}, milliseconds(lease), valueClaimedPrefix+owner).Int()
	if err != nil {
		return 0, fmt.Errorf("redisstore: claim %s: %w", store.QuoteID(id), err)
	}
	switch n {
	case 1:
		return store.ClaimAcquired, nil
	case 2:
		return store.ClaimInProgress, nil
	case 3:
		return store.ClaimDone, nil
	}
	return 0, fmt.Errorf("%w: claim %s", ErrUnexpectedValue, store.QuoteID(id))
}

// Done implements [store.Dedupe]: SET key done PX ttl, replacing the
// claim whoever holds it. It fails with [store.ErrInvalid] for a ttl that
// is not positive.
func (s *Store) Done(ctx context.Context, id string, ttl time.Duration) error {
	if ttl <= 0 {
		return invalid("done", "TTL must be positive")
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("redisstore: done %s: %w", store.QuoteID(id), err)
	}
	if err := s.client.Set(ctx, s.dedupeKey(id), valueDone, time.Duration(milliseconds(ttl))*time.Millisecond).Err(); err != nil {
		return fmt.Errorf("redisstore: done %s: %w", store.QuoteID(id), err)
	}
	return nil
}

// Release implements [store.Dedupe]: it deletes the key only while it
// holds owner's claim, "claimed:<owner>" (compare-and-delete in a
// script), so a done mark and another owner's claim stay. Releasing an
// absent id, or one another owner holds, is not an error. It fails with
// [store.ErrInvalid] for an empty owner.
func (s *Store) Release(ctx context.Context, id, owner string) error {
	if owner == "" {
		return invalid("release", "owner must not be empty")
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("redisstore: release %s: %w", store.QuoteID(id), err)
	}
	if err := s.release.Run(ctx, s.client, []string{s.dedupeKey(id)}, valueClaimedPrefix+owner).Err(); err != nil {
		return fmt.Errorf("redisstore: release %s: %w", store.QuoteID(id), err)
	}
	return nil
}
