package clerkauth

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// maxNumericDate bounds exp, nbf and iat: 2^53, beyond which a float64 no longer holds
// every integer (and far beyond year 9999). Values at or below 0 are refused too.
const maxNumericDate = 1 << 53

// claims holds the payload members verification and Session use. Strings are substrings
// of the decoded payload (no copies).
type claims struct {
	iss, sub, sid, azp, jti, sts, pla, fea string
	exp, nbf, iat                          float64
	hasExp, hasNbf, hasIat                 bool
	version                                int // 0 when v is absent

	// version 1 organization claims
	orgID, orgSlug, orgRole string
	orgPerms                string // org_permissions' JSON text (decodeStrings)
	// version 2 organization claim "o"
	o struct {
		present                bool
		id, slg, rol, per, fpm string
	}
	act *Actor
	fva FactorAge
}

// claimNames are the members of the payload parseClaims reads (member's cases): a key
// that folds like one of them without being it is refused. oNames and actNames are the
// same for the members of o and act.
var (
	claimNames = []string{"iss", "sub", "sid", "azp", "jti", "sts", "pla", "fea", "exp", "nbf", "iat", "v",
		"org_id", "org_slug", "org_role", "org_permissions", "o", "act", "fva"}
	oNames   = []string{"id", "slg", "rol", "per", "fpm"}
	actNames = []string{"iss", "sid", "sub"}
)

// parseClaims reads the decoded payload: a JSON object whose registered and Clerk claims
// have the right types (a NumericDate is a number in (0, 2^53), never a string), with no
// two members that fold alike and no case variant of a claim read here (see jsonscan.go).
// Unknown members are validated as JSON and skipped.
func parseClaims(data string) (claims, error) {
	c := claims{fva: FactorAge{First: -1, Second: -1}}
	s := newScanner(data)
	o, err := s.enterObject()
	if err != nil {
		return c, fmt.Errorf("%w: payload is not a JSON object", ErrTokenMalformed)
	}
	for {
		key, ok, err := s.member(&o, claimNames)
		switch {
		case err == errJSON:
			return c, fmt.Errorf("%w: payload is not valid JSON", ErrTokenMalformed)
		case err != nil:
			return c, fmt.Errorf("%w: claim %q %w", ErrTokenMalformed, keyText(key), err)
		}
		if !ok {
			break
		}
		if err := c.member(&s, key); err != nil {
			return c, fmt.Errorf("%w: claim %q: %w", ErrTokenMalformed, keyText(key), err)
		}
	}
	if err := s.end(); err != nil {
		return c, fmt.Errorf("%w: data after the payload object", ErrTokenMalformed)
	}
	return c, nil
}

func (c *claims) member(s *scanner, key string) error {
	var err error
	switch key {
	case "iss":
		c.iss, err = optString(s)
	case "sub":
		c.sub, err = optString(s)
	case "sid":
		c.sid, err = optString(s)
	case "azp":
		c.azp, err = optString(s)
	case "jti":
		c.jti, err = optString(s)
	case "sts":
		c.sts, err = optString(s)
	case "pla":
		c.pla, err = optString(s)
	case "fea":
		c.fea, err = optString(s)
	case "exp":
		c.exp, c.hasExp, err = numericDate(s)
	case "nbf":
		c.nbf, c.hasNbf, err = numericDate(s)
	case "iat":
		c.iat, c.hasIat, err = numericDate(s)
	case "v":
		c.version, err = version(s)
	case "org_id":
		c.orgID, err = optString(s)
	case "org_slug":
		c.orgSlug, err = optString(s)
	case "org_role":
		c.orgRole, err = optString(s)
	case "org_permissions":
		c.orgPerms, err = stringArray(s)
	case "o":
		err = c.orgV2(s)
	case "act":
		c.act, err = actor(s)
	case "fva":
		c.fva, err = factorAge(s)
	default:
		err = s.skip()
	}
	return err
}

var (
	errType  = errors.New("wrong type")
	errRange = errors.New("out of range")
)

// optString reads a string or null (read as "").
func optString(s *scanner) (string, error) {
	if s.null() {
		return "", nil
	}
	if s.peek() != '"' {
		return "", errType
	}
	return s.str()
}

// numericDate reads a NumericDate: null (absent) or a number in (0, 2^53).
func numericDate(s *scanner) (float64, bool, error) {
	if s.null() {
		return 0, false, nil
	}
	if c := s.peek(); c != '-' && (c < '0' || c > '9') {
		return 0, false, errType
	}
	f, err := s.number()
	if err != nil {
		return 0, false, numberError(err)
	}
	if !(f > 0 && f < maxNumericDate) {
		return 0, false, errRange
	}
	return f, true, nil
}

// version reads v: 1 or 2 (later versions are refused by the verifier).
func version(s *scanner) (int, error) {
	if c := s.peek(); c < '0' || c > '9' {
		return 0, errType
	}
	f, err := s.number()
	if err != nil {
		return 0, numberError(err)
	}
	if f != math.Trunc(f) || f < 1 || f > 1000 {
		return 0, errType
	}
	return int(f), nil
}

// stringArray checks that an array of strings, or null, comes next and returns its JSON
// text ("" for null): its strings are decoded by decodeStrings, after the signature is
// checked, so that a token refused before costs no allocation per string.
func stringArray(s *scanner) (string, error) {
	if s.null() {
		return "", nil
	}
	start := s.pos
	if err := s.enterArray(); err != nil {
		return "", errType
	}
	for first := true; ; first = false {
		ok, err := s.nextElem(first)
		if err != nil {
			return "", err
		}
		if !ok {
			return s.data[start:s.pos], nil
		}
		if s.peek() != '"' {
			return "", errType
		}
		if _, _, err := s.rawString(); err != nil {
			return "", err
		}
	}
}

// decodeStrings decodes an array of strings stringArray accepted (nil for "" or []).
func decodeStrings(text string) []string {
	var out []string
	s := scanner{data: text}
	if text == "" || s.enterArray() != nil {
		return nil
	}
	for first := true; ; first = false {
		ok, err := s.nextElem(first)
		if err != nil {
			return nil // unreachable: stringArray checked the array
		}
		if !ok {
			return out
		}
		v, err := s.str()
		if err != nil {
			return nil // unreachable: stringArray checked every string
		}
		out = append(out, v)
	}
}

// orgV2 reads the version 2 organization claim {"id","slg","rol","per","fpm"}, or null.
func (c *claims) orgV2(s *scanner) error {
	if s.null() {
		return nil
	}
	o, err := s.enterObject()
	if err != nil {
		return errType
	}
	c.o.present = true
	for {
		key, ok, err := s.member(&o, oNames)
		if err != nil {
			return memberError(key, err)
		}
		if !ok {
			return nil
		}
		switch key {
		case "id":
			c.o.id, err = optString(s)
		case "slg":
			c.o.slg, err = optString(s)
		case "rol":
			c.o.rol, err = optString(s)
		case "per":
			c.o.per, err = optString(s)
		case "fpm":
			c.o.fpm, err = optString(s)
		default:
			err = s.skip()
		}
		if err != nil {
			return err
		}
	}
}

// actor reads act {"iss","sid","sub"}, or null.
func actor(s *scanner) (*Actor, error) {
	if s.null() {
		return nil, nil
	}
	o, err := s.enterObject()
	if err != nil {
		return nil, errType
	}
	a := &Actor{}
	for {
		key, ok, err := s.member(&o, actNames)
		if err != nil {
			return nil, memberError(key, err)
		}
		if !ok {
			return a, nil
		}
		switch key {
		case "iss":
			a.Issuer, err = optString(s)
		case "sid":
			a.SessionID, err = optString(s)
		case "sub":
			a.Subject, err = optString(s)
		default:
			err = s.skip()
		}
		if err != nil {
			return nil, err
		}
	}
}

// factorAge reads fva: an array of two integers, each -1 or more; or null.
func factorAge(s *scanner) (FactorAge, error) {
	fa := FactorAge{First: -1, Second: -1}
	if s.null() {
		return fa, nil
	}
	if err := s.enterArray(); err != nil {
		return fa, errType
	}
	var v [2]int
	n := 0
	for first := true; ; first = false {
		ok, err := s.nextElem(first)
		if err != nil {
			return fa, err
		}
		if !ok {
			break
		}
		if c := s.peek(); c != '-' && (c < '0' || c > '9') {
			return fa, errType
		}
		f, err := s.number()
		if err != nil {
			return fa, numberError(err)
		}
		if f != math.Trunc(f) || f < -1 || f > math.MaxInt32 || n >= 2 {
			return fa, errRange
		}
		v[n] = int(f)
		n++
	}
	if n != 2 {
		return fa, errRange
	}
	return FactorAge{First: v[0], Second: v[1]}, nil
}

// numberError is the error of a number claim the scanner could not read: its own for a
// number out of range or too long, errType for anything else that is not a number.
func numberError(err error) error {
	if err == errNumberRange || err == errNumberLength {
		return err
	}
	return errType
}

// toTime converts a NumericDate (seconds, possibly fractional) to a time.
func toTime(f float64) time.Time {
	sec := math.Floor(f)
	return time.Unix(int64(sec), int64((f-sec)*1e9))
}
