package clerkauth

import "fmt"

// Token categories Clerk sets in the "cat" header.
const (
	CategorySession  = "cl_B7d4PD111AAA"
	CategoryTemplate = "cl_B7d4PD222AAA"
	CategoryMachine  = "cl_B7d4PD333AAA"
)

// header holds the JOSE header parameters verification looks at. jku, x5u, jwk and x5c
// (keys named by the token itself) are never used.
type header struct {
	alg, kid, typ, cat   string
	hasTyp, hasCat, crit bool
}

// headerNames are the header parameters parseHeader reads: a key that folds like one of
// them without being it is refused.
var headerNames = []string{"alg", "kid", "typ", "cat", "crit", "b64"}

// parseHeader reads the decoded JOSE header: a JSON object with a string alg, optional
// string kid, typ and cat. crit is reported; b64 (RFC 7797, unencoded payloads) is
// refused; parameters that fold alike, and case variants of those read here, are refused
// (see jsonscan.go).
func parseHeader(data string) (header, error) {
	var h header
	s := newScanner(data)
	o, err := s.enterObject()
	if err != nil {
		return h, fmt.Errorf("%w: header is not a JSON object", ErrTokenMalformed)
	}
	hasAlg := false
	for {
		key, ok, err := s.member(&o, headerNames)
		switch {
		case err == errJSON:
			return h, fmt.Errorf("%w: header is not valid JSON", ErrTokenMalformed)
		case err != nil:
			return h, fmt.Errorf("%w: header parameter %q %w", ErrTokenMalformed, keyText(key), err)
		}
		if !ok {
			break
		}
		switch key {
		case "alg":
			h.alg, err = s.str()
			hasAlg = true
		case "kid":
			h.kid, err = s.str()
		case "typ":
			h.typ, err = s.str()
			h.hasTyp = true
		case "cat":
			h.cat, err = s.str()
			h.hasCat = true
		case "crit":
			h.crit = true
			err = s.skip()
		case "b64":
			return h, fmt.Errorf("%w: unencoded payloads (b64) are not supported", ErrTokenMalformed)
		default:
			err = s.skip()
		}
		switch {
		case err == errJSON:
			return h, fmt.Errorf("%w: header parameter %q has the wrong type", ErrTokenMalformed, keyText(key))
		case err != nil:
			return h, fmt.Errorf("%w: header parameter %q: %w", ErrTokenMalformed, keyText(key), err)
		}
	}
	if err := s.end(); err != nil {
		return h, fmt.Errorf("%w: data after the header object", ErrTokenMalformed)
	}
	if !hasAlg {
		return h, fmt.Errorf("%w: header has no alg", ErrTokenMalformed)
	}
	return h, nil
}
