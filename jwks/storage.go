package jwks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/MicahParks/jwkset"
)

// errReadOnly is returned by the write methods of indexStorage: keys only ever arrive as a
// whole set, from a fetch or a parsed document.
var errReadOnly = errors.New("jwks: key storage is read-only; keys come from the key set")

// indexStorage is the jwkset.Storage every source in this package reads through. A
// KeyReplaceAll (what jwkset's HTTP storage calls after a successful fetch) keeps only the
// keys checkJWK accepts and publishes them as an immutable index, so lookups take no lock.
// A failed fetch never calls KeyReplaceAll, so the keys already known stay.
type indexStorage struct {
	idx atomic.Pointer[keyIndex]
	// onReplace, when set, is told about each new index, the one it replaced and the keys
	// it refused.
	onReplace func(old, idx *keyIndex, refused []error)
}

var _ jwkset.Storage = (*indexStorage)(nil)

func newIndexStorage() *indexStorage {
	s := &indexStorage{}
	s.idx.Store(&keyIndex{byKID: map[string]jwkset.JWK{}})
	return s
}

// lookup returns the usable key with this kid.
func (s *indexStorage) lookup(kid string) (jwkset.JWK, bool) {
	jwk, ok := s.idx.Load().byKID[kid]
	return jwk, ok
}

// kids lists the kids of the usable keys, in document order.
func (s *indexStorage) kids() []string {
	idx := s.idx.Load()
	kids := make([]string, 0, len(idx.list))
	for _, jwk := range idx.list {
		kids = append(kids, jwk.Marshal().KID)
	}
	return kids
}

// size is the number of usable keys.
func (s *indexStorage) size() int { return len(s.idx.Load().list) }

// KeyReplaceAll implements jwkset.Storage: it filters given and replaces the whole set.
func (s *indexStorage) KeyReplaceAll(_ context.Context, given []jwkset.JWK) error {
	var refused []error
	idx := buildIndex(given, func(_ string, err error) { refused = append(refused, err) })
	old := s.idx.Swap(idx)
	if s.onReplace != nil {
		s.onReplace(old, idx, refused)
	}
	return nil
}

// KeyRead implements jwkset.Storage.
func (s *indexStorage) KeyRead(_ context.Context, keyID string) (jwkset.JWK, error) {
	if jwk, ok := s.lookup(keyID); ok {
		return jwk, nil
	}
	return jwkset.JWK{}, fmt.Errorf("%w: kid %q", jwkset.ErrKeyNotFound, keyID)
}

// KeyReadAll implements jwkset.Storage.
func (s *indexStorage) KeyReadAll(context.Context) ([]jwkset.JWK, error) {
	return slices.Clone(s.idx.Load().list), nil
}

// KeyWrite implements jwkset.Storage; the set is read-only.
func (s *indexStorage) KeyWrite(context.Context, jwkset.JWK) error { return errReadOnly }

// KeyDelete implements jwkset.Storage; the set is read-only.
func (s *indexStorage) KeyDelete(context.Context, string) (bool, error) { return false, errReadOnly }

// snapshot copies the current set into a jwkset memory storage for marshalling.
func (s *indexStorage) snapshot(ctx context.Context) *jwkset.MemoryJWKSet {
	m := jwkset.NewMemoryStorage()
	_ = m.KeyReplaceAll(ctx, slices.Clone(s.idx.Load().list))
	return m
}

// JSON implements jwkset.Storage.
func (s *indexStorage) JSON(ctx context.Context) (json.RawMessage, error) {
	return s.snapshot(ctx).JSON(ctx)
}

// JSONPublic implements jwkset.Storage.
func (s *indexStorage) JSONPublic(ctx context.Context) (json.RawMessage, error) {
	return s.snapshot(ctx).JSONPublic(ctx)
}

// JSONPrivate implements jwkset.Storage. The set never holds private keys.
func (s *indexStorage) JSONPrivate(ctx context.Context) (json.RawMessage, error) {
	return s.snapshot(ctx).JSONPublic(ctx)
}

// JSONWithOptions implements jwkset.Storage.
func (s *indexStorage) JSONWithOptions(ctx context.Context, m jwkset.JWKMarshalOptions, v jwkset.JWKValidateOptions) (json.RawMessage, error) {
	return s.snapshot(ctx).JSONWithOptions(ctx, m, v)
}

// Marshal implements jwkset.Storage.
func (s *indexStorage) Marshal(ctx context.Context) (jwkset.JWKSMarshal, error) {
	return s.snapshot(ctx).Marshal(ctx)
}

// MarshalWithOptions implements jwkset.Storage.
func (s *indexStorage) MarshalWithOptions(ctx context.Context, m jwkset.JWKMarshalOptions, v jwkset.JWKValidateOptions) (jwkset.JWKSMarshal, error) {
	return s.snapshot(ctx).MarshalWithOptions(ctx, m, v)
}
