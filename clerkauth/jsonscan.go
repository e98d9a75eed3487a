package clerkauth

import (
	"errors"
	"hash/maphash"
	"math"
	"math/rand/v2"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// A small, strict JSON reader for token headers and payloads, allocation-free for the
// usual token.
//
// It is stricter than encoding/json, never more lenient: RFC 8259 grammar only; strings
// must be valid UTF-8 without unpaired surrogate escapes; object keys may not contain
// escapes (so "\u0069ss" cannot alias "iss"); numbers must be within float64's range
// (encoding/json cannot decode 1e400 into a float64), and those the caller converts
// (exp, nbf, iat, v, fva) at most 32 characters long. In every object, at every depth,
// two members whose keys fold alike are refused: exact duplicates, and keys encoding/json
// would match to the same struct field ("sub" and "SUB", "sub" and "ſub", "kind" and
// "Kind" with a Kelvin sign; jsonkeys.go); so is a key that folds like a member the
// caller reads without being it ("STS" alone, which a struct field tagged sts would
// read). Nesting is bounded (maxJSONDepth), and so are the members of each object
// (maxJSONMembers) and the non-ASCII characters of a document's keys (maxFoldedRunes).
//
// So whatever it accepts, encoding/json accepts with the same values, and a struct that
// encoding/json decodes the document into (Claims[T]) gets, for each field, the one value
// every reader of the document sees (FuzzScannerAgainstEncodingJSON, FuzzKeyFolding and
// FuzzFloat64Range check this). Its cost is linear in the document's length, with
// constants that keep refusing a hostile token of the size limit below the cost of one
// RSA verification (BenchmarkRefuseHostile).

var errJSON = errors.New("invalid JSON")

const maxJSONDepth = 32

type scanner struct {
	data   string
	pos    int
	depth  int
	seed   maphash.Seed // hashes keys longer than 8 bytes (jsonkeys.go)
	k0, k1 uint64       // hash keys of up to 8 bytes (k1 odd)
	keys   keyStack     // keys of the open objects
	spare  []uint16     // the index of a closed object, for the next that needs one
	folded int          // non-ASCII characters folded in keys so far

	open [maxJSONDepth]object // the objects skip is in: open[d-1] at level d
}

// newScanner returns a scanner over data with fresh hash keys. A document of 4 GiB or
// more is not read (its keys' offsets would not fit keyEntry): every read fails.
func newScanner(data string) scanner {
	if uint64(len(data)) > math.MaxUint32 {
		data = ""
	}
	return scanner{data: data, seed: maphash.MakeSeed(), k0: rand.Uint64(), k1: rand.Uint64() | 1}
}

func (s *scanner) ws() {
	if s.pos < len(s.data) && s.data[s.pos] > ' ' {
		return // the common case: no whitespace
	}
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

// unescape decodes the escapes of a string validated by rawString, copying the runs
// between escapes whole.
func unescape(raw string) (string, error) {
	b := make([]byte, 0, len(raw))
	for {
		i := strings.IndexByte(raw, '\\')
		if i < 0 {
			return string(append(b, raw...)), nil
		}
		b = append(b, raw[:i]...)
		raw = raw[i:]
		switch c := raw[1]; c {
		case '"', '\\', '/':
			b = append(b, c)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r := hex4(raw[2:6])
			if utf16.IsSurrogate(r) {
				// Only a high surrogate followed by an escaped low surrogate is a rune.
				if len(raw) < 12 || raw[6] != '\\' || raw[7] != 'u' {
					return "", errJSON
				}
				if r = utf16.DecodeRune(r, hex4(raw[8:12])); r == utf8.RuneError {
					return "", errJSON
				}
				raw = raw[6:]
			}
			b = utf8.AppendRune(b, r)
			raw = raw[6:]
			continue
		}
		raw = raw[2:]
	}
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

// null consumes a null value if one comes next.
func (s *scanner) null() bool {
	if s.peek() == 'n' && strings.HasPrefix(s.data[s.pos:], "null") {
		s.pos += 4
		return true
	}
	return false
}

// skip consumes one value of any type, validating it. It loops rather than recurses, on
// local copies of the position and depth (synced around the calls that use the
// scanner's): a bit per level tells the arrays apart, s.open holds the objects' state.
func (s *scanner) skip() error {
	d, pos, depth, base := s.data, s.pos, s.depth, s.depth
	var arrays uint64
	for {
		// A value.
		for pos < len(d) && d[pos] <= ' ' && isSpace(d[pos]) {
			pos++
		}
		if pos >= len(d) {
			return errJSON
		}
		switch d[pos] {
		case '[':
			for { // a run of '['
				if depth >= maxJSONDepth {
					return errJSON
				}
				pos++
				depth++
				arrays |= 1 << depth
				if pos >= len(d) || d[pos] != '[' {
					break
				}
			}
			for pos < len(d) && d[pos] <= ' ' && isSpace(d[pos]) {
				pos++
			}
			if pos >= len(d) || d[pos] != ']' {
				continue // the first element
			}
			pos++
			depth--
		case '{':
			if depth >= maxJSONDepth {
				return errJSON
			}
			if pos+1 < len(d) && d[pos+1] == '}' {
				pos += 2 // {}
				break
			}
			s.pos, s.depth = pos+1, depth+1
			o := &s.open[depth]
			*o = object{base: s.keys.n}
			key, ok, err := s.member(o, nil)
			if err != nil {
				return memberError(key, err)
			}
			pos, depth = s.pos, s.depth
			if ok {
				arrays &^= 1 << depth
				continue // the member's value
			}
		case '"':
			s.pos = pos
			if _, _, err := s.rawString(); err != nil {
				return err
			}
			pos = s.pos
		case 't', 'f', 'n':
			word := "true"
			if d[pos] == 'f' {
				word = "false"
			} else if d[pos] == 'n' {
				word = "null"
			}
			if !strings.HasPrefix(d[pos:], word) {
				return errJSON
			}
			pos += len(word)
		default:
			if c := d[pos]; c-'0' < 10 && pos+1 < len(d) && d[pos+1]-'0' >= 10 && d[pos+1] != '.' && d[pos+1]|0x20 != 'e' {
				pos++ // a one-digit number, as rawNumber's fast path
				break
			}
			s.pos = pos
			if _, err := s.rawNumber(); err != nil {
				return err
			}
			pos = s.pos
		}
		// After a value: close the containers that end here, up to the next value.
		for next := false; !next; {
			if depth == base {
				s.pos, s.depth = pos, depth
				return nil
			}
			if arrays&(1<<depth) == 0 {
				for pos < len(d) && d[pos] <= ' ' && isSpace(d[pos]) {
					pos++
				}
				if pos < len(d) && d[pos] == '}' { // what member does on '}'
					o := &s.open[depth-1]
					s.keys.n = o.base
					if o.index != nil {
						s.spare = o.index
					}
					pos++
					depth--
					continue
				}
				s.pos, s.depth = pos, depth
				key, ok, err := s.member(&s.open[depth-1], nil)
				if err != nil {
					return memberError(key, err)
				}
				pos, depth, next = s.pos, s.depth, ok
				continue
			}
			for pos < len(d) && d[pos] <= ' ' && isSpace(d[pos]) {
				pos++
			}
			switch {
			case pos < len(d) && d[pos] == ',':
				pos++
				next = true
			case pos < len(d) && d[pos] == ']':
				pos++
				depth--
				for pos < len(d) && d[pos] == ']' && depth > base && arrays&(1<<depth) != 0 {
					pos++ // a run of ']'
					depth--
				}
			default:
				return errJSON
			}
		}
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

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
