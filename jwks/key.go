package jwks

import (
	"crypto/rsa"
	"fmt"

	"github.com/MicahParks/jwkset"
)

// rsaKeyProblem describes why this package never verifies with pub, or returns "".
func rsaKeyProblem(pub *rsa.PublicKey) string {
	if pub == nil || pub.N == nil {
		return "empty RSA key"
	}
	if bits := pub.N.BitLen(); bits < MinRSABits {
		return fmt.Sprintf("RSA key of %d bits, need at least %d", bits, MinRSABits)
	}
	if pub.E < 3 || pub.E%2 == 0 || pub.E > 1<<31-1 {
		return fmt.Sprintf("RSA public exponent %d", pub.E)
	}
	return ""
}

// checkJWK decides whether one JWK may verify Clerk session tokens: an RSA public key of at
// least 2048 bits, use empty or "sig", alg empty or RS256/RS384/RS512, with a usable kid.
// A JWK that carries private material is refused: it does not belong in a published set.
func checkJWK(jwk jwkset.JWK) error {
	m := jwk.Marshal()
	if m.KTY != jwkset.KtyRSA {
		return fmt.Errorf("%w: kid %q: key type %q, want RSA", ErrInvalidKey, m.KID, m.KTY)
	}
	if m.D != "" || m.P != "" || m.Q != "" {
		return fmt.Errorf("%w: kid %q: a private key; publish only the public key", ErrInvalidKey, m.KID)
	}
	var pub *rsa.PublicKey
	switch k := jwk.Key().(type) {
	case *rsa.PublicKey:
		pub = k
	case *rsa.PrivateKey:
		return fmt.Errorf("%w: kid %q: a private key; publish only the public key", ErrInvalidKey, m.KID)
	default:
		return fmt.Errorf("%w: kid %q: not an RSA public key", ErrInvalidKey, m.KID)
	}
	if m.USE != "" && m.USE != jwkset.UseSig {
		return fmt.Errorf("%w: kid %q: use %q, want sig", ErrInvalidKey, m.KID, m.USE)
	}
	switch m.ALG {
	case "", RS256, RS384, RS512:
	default:
		return fmt.Errorf("%w: kid %q: alg %q, want RS256, RS384 or RS512", ErrInvalidKey, m.KID, m.ALG)
	}
	if !validKID(m.KID) {
		return fmt.Errorf("%w: kid %q: missing, longer than %d bytes or not printable ASCII", ErrInvalidKey, m.KID, maxKIDLength)
	}
	if problem := rsaKeyProblem(pub); problem != "" {
		return fmt.Errorf("%w: kid %q: %s", ErrInvalidKey, m.KID, problem)
	}
	return nil
}

// keyIndex is an immutable snapshot of a key set; lookups need no lock.
type keyIndex struct {
	byKID map[string]jwkset.JWK
	list  []jwkset.JWK // in document order, for KeyReadAll
}

// buildIndex keeps the usable keys of set and reports each refused one through skip.
// A kid that appears twice keeps its first key (deterministic, as jwkset's own storage).
func buildIndex(set []jwkset.JWK, skip func(kid string, err error)) *keyIndex {
	idx := &keyIndex{byKID: make(map[string]jwkset.JWK, len(set))}
	for _, jwk := range set {
		if err := checkJWK(jwk); err != nil {
			skip(jwk.Marshal().KID, err)
			continue
		}
		m := jwk.Marshal()
		if _, dup := idx.byKID[m.KID]; dup {
			skip(m.KID, fmt.Errorf("%w: kid %q appears more than once; keeping the first", ErrInvalidKey, m.KID))
			continue
		}
		idx.byKID[m.KID] = jwk
		idx.list = append(idx.list, jwk)
	}
	return idx
}
