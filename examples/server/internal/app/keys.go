package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/golang-jwt/jwt/v5"

	"github.com/unioneyes/authkit/jwks"
)

// errKeysNotLoaded is the health check's verdict on a key set whose first keys have not
// arrived yet.
var errKeysNotLoaded = errors.New("verification keys not loaded yet")

// backgroundKeys is a remote key set started in the background, so that the server
// listens at once whatever Clerk's JWKS endpoint does (jwks.NewRemote fetches a first
// key set before it returns, which lasts the HTTP timeout when the endpoint does not
// answer). Until the first key set arrives, lookups fail with jwks.ErrKeysUnavailable,
// which the middleware answers 503 with Retry-After, and Ping reports errKeysNotLoaded.
// It is a jwks.ContextSource and a jwks.KeyChecker, like the Remote it wraps.
type backgroundKeys struct {
	cancel  context.CancelFunc
	started chan struct{} // closed once NewRemote returned: remote or err is set
	remote  *jwks.Remote
	err     error
	done    chan struct{} // closed when the starting goroutine ends
	closing sync.Once
}

var (
	_ jwks.ContextSource = (*backgroundKeys)(nil)
	_ jwks.KeyChecker    = (*backgroundKeys)(nil)
)

// startKeys starts the remote key set rc in the background and logs when its first keys
// arrive. The key set lives until Close, not as long as ctx.
func startKeys(ctx context.Context, rc jwks.RemoteConfig, log *slog.Logger) *backgroundKeys {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	k := &backgroundKeys{cancel: cancel, started: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(k.done)
		k.remote, k.err = jwks.NewRemote(ctx, rc)
		close(k.started)
		if k.err != nil {
			log.Error("verification keys: the key set cannot start", "error", k.err)
			return
		}
		if k.remote.Ready(ctx) == nil {
			log.Info("verification keys loaded", "url", rc.URL)
		}
	}()
	return k
}

// current returns the Remote once NewRemote has returned it, else nil.
func (k *backgroundKeys) current() *jwks.Remote {
	select {
	case <-k.started:
		return k.remote
	default:
		return nil
	}
}

// Keyfunc implements jwks.Source.
func (k *backgroundKeys) Keyfunc(token *jwt.Token) (any, error) {
	return k.Key(context.Background(), token)
}

// Key implements jwks.ContextSource: the Remote's key, or jwks.ErrKeysUnavailable while
// the Remote is starting.
func (k *backgroundKeys) Key(ctx context.Context, token *jwt.Token) (any, error) {
	r := k.current()
	if r == nil {
		return nil, fmt.Errorf("%w: no key set yet", jwks.ErrKeysUnavailable)
	}
	return r.Key(ctx, token)
}

// HasKey implements jwks.KeyChecker.
func (k *backgroundKeys) HasKey(kid string) bool {
	r := k.current()
	return r != nil && r.HasKey(kid)
}

// Ready waits until the first key set is loaded, the key set fails to start, or ctx
// ends.
func (k *backgroundKeys) Ready(ctx context.Context) error {
	select {
	case <-k.started:
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", jwks.ErrKeysUnavailable, ctx.Err())
	}
	if k.err != nil {
		return k.err
	}
	return k.remote.Ready(ctx)
}

// Ping is the health check: nil once a first key set has been loaded (later failures of
// Clerk's endpoint keep the known keys, and do not count), errKeysNotLoaded before, and
// the start-up error if the key set could not start. It never waits.
func (k *backgroundKeys) Ping(context.Context) error {
	select {
	case <-k.started:
	default:
		return errKeysNotLoaded
	}
	if k.err != nil {
		return k.err
	}
	now, cancel := context.WithCancel(context.Background())
	cancel() // Ready answers at once: loaded, or not
	if k.remote.Ready(now) != nil {
		return errKeysNotLoaded
	}
	return nil
}

// Close stops the key set, a first fetch in flight included, and waits for it.
func (k *backgroundKeys) Close() error {
	k.closing.Do(func() {
		k.cancel()
		<-k.done
		if k.remote != nil {
			_ = k.remote.Close() // always nil
		}
	})
	return nil
}
