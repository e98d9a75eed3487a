package jwks

import (
	"fmt"
	"testing"

	"github.com/MicahParks/jwkset"
	"github.com/stretchr/testify/require"
)

// indexOf builds a key index that has these kids (with empty keys: only the kids count).
func indexOf(kids ...string) *keyIndex {
	idx := &keyIndex{byKID: map[string]jwkset.JWK{}}
	for _, kid := range kids {
		idx.byKID[kid] = jwkset.JWK{}
	}
	return idx
}

func TestWithdrawnKidsAreBounded(t *testing.T) {
	r := &Remote{}
	r.noteWithdrawnLocked(indexOf(), indexOf("a", "b"))
	require.Empty(t, r.withdrawn, "a first set withdraws nothing")
	r.noteWithdrawnLocked(indexOf("a", "b"), indexOf("b", "c"))
	require.Equal(t, []string{"a"}, r.withdrawn)
	r.noteWithdrawnLocked(indexOf("b", "c"), indexOf("a", "c"))
	require.Equal(t, []string{"b"}, r.withdrawn, "a republished kid is no longer withdrawn")
	r.noteWithdrawnLocked(indexOf("a", "c"), indexOf("a", "c"))
	require.Equal(t, []string{"b"}, r.withdrawn, "the same set again changes nothing")

	// Many withdrawals keep the newest maxWithdrawn.
	prev := indexOf("a", "c")
	for i := range 3 * maxWithdrawn {
		next := indexOf(fmt.Sprintf("k%d", i))
		r.noteWithdrawnLocked(prev, next)
		prev = next
	}
	require.Len(t, r.withdrawn, maxWithdrawn)
	require.Equal(t, fmt.Sprintf("k%d", 2*maxWithdrawn-1), r.withdrawn[0])
	require.Equal(t, fmt.Sprintf("k%d", 3*maxWithdrawn-2), r.withdrawn[maxWithdrawn-1])
	require.LessOrEqual(t, cap(r.withdrawn), 2*maxWithdrawn)
}
