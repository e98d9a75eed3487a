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

// parseHeader reads the decoded JOSE header: a JSON object with a string alg, optional
// string kid, typ and cat. crit is reported; b64 (RFC 7797, unencoded payloads) is
// refused; duplicate parameters are refused.
func parseHeader(data string) (header, error) {
	var h header
	s := scanner{data: data}
	if err := s.enterObject(); err != nil {
		return h, fmt.Errorf("%w: header is not a JSON object", ErrTokenMalformed)
	}
	var seen seenKeys
	hasAlg := false
	for first := true; ; first = false {
		key, ok, err := s.nextKey(first)
		if err != nil {
			return h, fmt.Errorf("%w: header is not valid JSON", ErrTokenMalformed)
		}
		if !ok {
			break
		}
		if !seen.add(key) {
			return h, fmt.Errorf("%w: header parameter %q appears twice (keys compare case-insensitively), or too many parameters", ErrTokenMalformed, key)
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
		if err != nil {
			return h, fmt.Errorf("%w: header parameter %q has the wrong type", ErrTokenMalformed, key)
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
