package machine

import (
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"time"

	"github.com/unioneyes/authkit/clerkauth"
)

// verifyKnown answers for a credential Clerk accepted (k): from the cache while Clerk's
// answer is younger than MaxCacheTTL (starting a revalidation in the background when a
// quarter of it is left); past it, from a revalidation made inline, or, when one could
// not be made, from the cache again until StaleIfError more has passed.
func (b *BackendAPI) verifyKnown(ctx context.Context, key [sha256.Size]byte, ep *bapiEndpoint, token string,
	k *bapiKnown, now time.Time,
) (*clerkauth.Principal, error) {
	v := bapiVerdict{p: k.p}
	if err := expiredAt(k.p.ExpiresAt, now); err != nil {
		return nil, err
	}
	age := now.Sub(k.checked)
	stale := age >= b.maxTTL
	canStale := age < b.maxTTL+b.stale
	switch {
	case !stale:
		if age >= b.refresh {
			b.revalidate(ctx, key, ep, token, k, now)
		}
		return v.result(now)
	case canStale && k.hasFailed():
		b.servedStale(ep)
		b.revalidate(ctx, key, ep, token, k, now)
		return v.result(now)
	}
	p, err := b.ask(ctx, key, ep, token, tierKnown, k)
	if canStale && errors.Is(err, clerkauth.ErrBackendAPI) {
		k.fail(now.Add(b.retry))
		b.servedStale(ep)
		return v.result(now)
	}
	return p, err
}

// revalidate starts asking Clerk about the known credential k in the background, unless
// a revalidation of it is under way, a failed one is too recent, or the budget refuses
// it (which counts as a failed revalidation).
func (b *BackendAPI) revalidate(ctx context.Context, key [sha256.Size]byte, ep *bapiEndpoint, token string,
	k *bapiKnown, now time.Time,
) {
	if !k.claim(now) {
		return
	}
	if err := b.acquire(ep, tierKnown, now); err != nil {
		k.finish(false, now.Add(b.retry))
		return
	}
	b.revalidations.Add(1)
	go func() {
		defer b.revalidations.Done()
		// Joins an inline flight for the token if one is under way (the slot taken above
		// then goes unused).
		_, err, _ := b.group.Do(string(key[:]), func() (any, error) {
			return b.callAndRemember(context.WithoutCancel(ctx), key, ep, token)
		})
		b.release()
		k.finish(err == nil, b.now().Add(b.retry))
	}()
}

// servedStale logs, at most once per bapiWarnLogEvery, that a known credential was
// accepted past MaxCacheTTL because it could not be revalidated.
func (b *BackendAPI) servedStale(ep *bapiEndpoint) {
	ok, suppressed := b.staleLog.allow(b.now(), bapiWarnLogEvery)
	if !ok {
		return
	}
	b.log.LogAttrs(context.Background(), slog.LevelWarn,
		"machine: Clerk Backend API cannot revalidate machine tokens; accepted ones are served past MaxCacheTTL (StaleIfError)",
		slog.String("kind", string(ep.kind)), slog.Int("suppressed", suppressed))
}
