package clerkauth

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// A small, strict, allocation-free JSON reader for token headers and payloads.
//
// It is stricter than encoding/json, never more lenient: RFC 8259 grammar only, strings
// must be valid UTF-8 without unpaired surrogate escapes, object keys may not contain
// escapes (so "\u0069ss" cannot alias "iss"), nesting is bounded, and the callers refuse
// duplicate members, including members whose keys differ only in case ("sub", "SUB"),
// which encoding/json would map to the same struct field. Whatever it accepts, encoding/json accepts with the same values
// (FuzzScannerAgainstEncodingJSON checks this).

var errJSON = errors.New("invalid JSON")

const (
	maxJSONDepth   = 32
	maxJSONMembers = 256
)

type scanner struct {
	data  string
	pos   int
	depth int
}

func (s *scanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next non-whitespace byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.pos >= len(s.data) {
		return 0
	}
	return s.data[s.pos]
}

func (s *scanner) expect(c byte) error {
	if s.peek() != c {
		return errJSON
	}
	s.pos++
	return nil
}

// enterObject consumes '{'.
func (s *scanner) enterObject() error { return s.enter('{') }

// enterArray consumes '['.
func (s *scanner) enterArray() error { return s.enter('[') }

// enter consumes the opening bracket of a nested value, within the depth bound.
func (s *scanner) enter(open byte) error {
	if s.depth >= maxJSONDepth {
		return errJSON
	}
	if err := s.expect(open); err != nil {
		return err
	}
	s.depth++
	return nil
}

// nextKey moves to the next member of the object being read: it returns its key (the
// value follows and must be consumed), or ok false after consuming the closing '}'.
// first tells whether this is the first call for the object.
func (s *scanner) nextKey(first bool) (key string, ok bool, err error) {
	c := s.peek()
	if c == '}' {
		s.pos++
		s.depth--
		return "", false, nil
	}
	if !first {
		if c != ',' {
			return "", false, errJSON
		}
		s.pos++
		c = s.peek()
	}
	if c != '"' {
		return "", false, errJSON
	}
	key, escaped, err := s.rawString()
	if err != nil || escaped {
		return "", false, errJSON
	}
	if err := s.expect(':'); err != nil {
		return "", false, err
	}
	return key, true, nil
}

// rawString reads a string token and returns its contents as written (without the
// quotes), and whether it contains escapes.
func (s *scanner) rawString() (raw string, escaped bool, err error) {
	if s.peek() != '"' {
		return "", false, errJSON
	}
	s.pos++
	start := s.pos
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		if c >= 0x20 && c < utf8.RuneSelf && c != '"' && c != '\\' {
			s.pos++ // the common case: printable ASCII
			continue
		}
		switch {
		case c == '"':
			raw = s.data[start:s.pos]
			s.pos++
			return raw, escaped, nil
		case c == '\\':
			escaped = true
			if s.pos+1 >= len(s.data) {
				return "", false, errJSON
			}
			switch s.data[s.pos+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.pos += 2
			case 'u':
				if s.pos+6 > len(s.data) || !isHex4(s.data[s.pos+2:s.pos+6]) {
					return "", false, errJSON
				}
				r := hex4(s.data[s.pos+2 : s.pos+6])
				s.pos += 6
				if r >= 0xDC00 && r <= 0xDFFF {
					return "", false, errJSON // a low surrogate without its high one
				}
				if r >= 0xD800 && r <= 0xDBFF {
					// A high surrogate must be followed by an escaped low surrogate.
					if s.pos+6 > len(s.data) || s.data[s.pos] != '\\' || s.data[s.pos+1] != 'u' ||
						!isHex4(s.data[s.pos+2:s.pos+6]) {
						return "", false, errJSON
					}
					if lo := hex4(s.data[s.pos+2 : s.pos+6]); lo < 0xDC00 || lo > 0xDFFF {
						return "", false, errJSON
					}
					s.pos += 6
				}
			default:
				return "", false, errJSON
			}
		case c < 0x20:
			return "", false, errJSON
		case c < utf8.RuneSelf:
			s.pos++
		default:
			r, size := utf8.DecodeRuneInString(s.data[s.pos:])
			if r == utf8.RuneError && size <= 1 {
				return "", false, errJSON
			}
			s.pos += size
		}
	}
	return "", false, errJSON
}

func isHex4(h string) bool {
	for i := 0; i < 4; i++ {
		c := h[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// str reads a string value and returns it unescaped. Without escapes it is a substring of
// the input (no allocation).
func (s *scanner) str() (string, error) {
	raw, escaped, err := s.rawString()
	if err != nil || !escaped {
		return raw, err
	}
	return unescape(raw)
}

// unescape decodes the escapes of a string validated by rawString.
func unescape(raw string) (string, error) {
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			b.WriteByte(c)
			i++
			continue
		}
		switch raw[i+1] {
		case '"', '\\', '/':
			b.WriteByte(raw[i+1])
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r1 := hex4(raw[i+2 : i+6])
			i += 6
			if utf16.IsSurrogate(r1) {
				// Only a high surrogate followed by an escaped low surrogate is a rune.
				if i+6 > len(raw) || raw[i] != '\\' || raw[i+1] != 'u' {
					return "", errJSON
				}
				r := utf16.DecodeRune(r1, hex4(raw[i+2:i+6]))
				if r == utf8.RuneError {
					return "", errJSON
				}
				b.WriteRune(r)
				i += 6
				continue
			}
			b.WriteRune(r1)
			continue
		}
		i += 2
	}
	return b.String(), nil
}

func hex4(h string) rune {
	var r rune
	for i := 0; i < 4; i++ {
		c := h[i]
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// rawNumber reads a number token (RFC 8259 grammar) and returns it as written.
func (s *scanner) rawNumber() (string, error) {
	s.ws()
	start := s.pos
	d := s.data
	i := s.pos
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	default:
		return "", errJSON
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			return "", errJSON
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			return "", errJSON
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	s.pos = i
	return d[start:i], nil
}

// number reads a number value as a float64; values beyond float64's range are errors.
func (s *scanner) number() (float64, error) {
	raw, err := s.rawNumber()
	if err != nil {
		return 0, err
	}
	// Fast path: a short non-negative integer, as NumericDates usually are.
	if len(raw) <= 15 {
		var n int64
		i := 0
		for ; i < len(raw) && raw[i] >= '0' && raw[i] <= '9'; i++ {
			n = n*10 + int64(raw[i]-'0')
		}
		if i == len(raw) {
			return float64(n), nil
		}
	}
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		return 0, errJSON
	}
	return f, nil
}

// literal consumes the literal word (true, false, null).
func (s *scanner) literal(word string) error {
	s.ws()
	if !strings.HasPrefix(s.data[s.pos:], word) {
		return errJSON
	}
	s.pos += len(word)
	return nil
}

// null consumes a null value if one comes next.
func (s *scanner) null() bool {
	if s.peek() == 'n' && strings.HasPrefix(s.data[s.pos:], "null") {
		s.pos += 4
		return true
	}
	return false
}

// skip consumes one value of any type, validating it.
func (s *scanner) skip() error {
	switch c := s.peek(); {
	case c == '{':
		if err := s.enterObject(); err != nil {
			return err
		}
		for first := true; ; first = false {
			_, ok, err := s.nextKey(first)
			if err != nil {
				return err
			}
			if !ok {
				return nil
			}
			if err := s.skip(); err != nil {
				return err
			}
		}
	case c == '[':
		if err := s.enterArray(); err != nil {
			return err
		}
		for first := true; ; first = false {
			ok, err := s.nextElem(first)
			if err != nil {
				return err
			}
			if !ok {
				return nil
			}
			if err := s.skip(); err != nil {
				return err
			}
		}
	case c == '"':
		_, _, err := s.rawString()
		return err
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	default:
		_, err := s.rawNumber()
		return err
	}
}

// nextElem moves to the next element of the array being read (ok true: an element
// follows and must be consumed) or consumes the closing ']' (ok false).
func (s *scanner) nextElem(first bool) (ok bool, err error) {
	c := s.peek()
	if c == ']' {
		s.pos++
		s.depth--
		return false, nil
	}
	if !first {
		if c != ',' {
			return false, errJSON
		}
		s.pos++
	}
	return true, nil
}

// end checks that only whitespace follows.
func (s *scanner) end() error {
	s.ws()
	if s.pos != len(s.data) {
		return errJSON
	}
	return nil
}

// seenKeys detects duplicate members of one object; the first keys live in a fixed
// array so the common case does not allocate.
type seenKeys struct {
	n     int
	small [24]string
	more  []string
}

// add records key and reports false if it was already seen or the object has too many
// members. Keys differing only in case count as the same: encoding/json matches struct
// fields case-insensitively, so "SUB" next to "sub" would let Claims[T] read another
// value than the verifier did.
func (k *seenKeys) add(key string) bool {
	for i := 0; i < k.n && i < len(k.small); i++ {
		if s := k.small[i]; len(s) == len(key) && strings.EqualFold(s, key) {
			return false
		}
	}
	for _, s := range k.more {
		if len(s) == len(key) && strings.EqualFold(s, key) {
			return false
		}
	}
	if k.n >= maxJSONMembers {
		return false
	}
	if k.n < len(k.small) {
		k.small[k.n] = key
	} else {
		k.more = append(k.more, key)
	}
	k.n++
	return true
}
