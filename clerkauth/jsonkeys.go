package clerkauth

import (
	"errors"
	"fmt"
	"hash/maphash"
	"unicode"
	"unicode/utf8"
)

// Member keys are compared the way encoding/json matches them to struct fields: exactly,
// or else after Unicode simple case folding, so that "sub", "SUB" and "ſub" (U+017F), or
// "kind" and "Kind" (U+212A, the Kelvin sign) are one field to Claims[T]. The reader
// refuses two members of one object whose keys fold alike, whatever their depth, so that a
// struct receives at most one value per field, the one every other reader of the payload
// sees; and a key that folds like a member the reader reads without being it ("STS" and no
// "sts"), which Claims[T] would read where the verifier read nothing.
//
// Each key is hashed once, folded, with a seed drawn per document (an attacker cannot
// aim keys at one hash), so finding a duplicate costs the same whatever the keys: objects
// up to smallObject members are searched linearly, larger ones through an index.

const (
	// maxJSONMembers bounds the members of every object.
	maxJSONMembers = 256
	// smallObject is the number of members an object holds before it gets an index.
	smallObject = 24
	// indexSlots is the size of an object's index: twice maxJSONMembers, so that it is
	// never more than half full.
	indexSlots = 2 * maxJSONMembers
	// stackKeys is the number of keys of the open objects kept without allocating.
	stackKeys = 64
	// maxFoldedRunes bounds the non-ASCII characters in the keys of one document: folding
	// one costs tens of nanoseconds (unicode.SimpleFold), and the bound keeps a document of
	// such keys cheap to refuse.
	maxFoldedRunes = 32
	// maxKnownName is the length of the longest member name the reader reads.
	maxKnownName = len("org_permissions")
	// shortKey is the longest key folded in one piece (longer keys are hashed in chunks).
	shortKey = 128
)

var (
	errDuplicate      = errors.New("appears twice (keys compare as encoding/json matches them to fields: ignoring case, with Unicode simple folding)")
	errCaseVariant    = errors.New("is a case variant of a member read under its exact name")
	errTooManyMembers = errors.New("is one member too many (at most 256 per object)")
	errFoldBudget     = errors.New("has one non-ASCII character too many (member names hold at most 32 in all)")
)

// keyEntry is a key of an object being read, data[start:end], and the hash of its folded
// form. It holds no pointer, and is small: a key stack that outgrows its array is cheap
// to allocate (documents are shorter than 4 GiB: newScanner).
type keyEntry struct {
	hash       uint64
	start, end uint32
}

// keyStack holds the keys of the objects being read, the innermost object's last; the
// first stackKeys live in a fixed array so that the common case does not allocate.
type keyStack struct {
	n     int
	small [stackKeys]keyEntry
	more  []keyEntry
}

func (k *keyStack) at(i int) *keyEntry {
	if i < stackKeys {
		return &k.small[i]
	}
	return &k.more[i-stackKeys]
}

func (k *keyStack) push(e keyEntry) {
	switch i := k.n - stackKeys; {
	case i < 0:
		k.small[k.n] = e
	case i < len(k.more):
		k.more[i] = e
	default:
		if k.more == nil {
			k.more = make([]keyEntry, 0, maxJSONMembers)
		}
		k.more = append(k.more, e)
	}
	k.n++
}

// object is the state of one object being read: where its keys start on the key stack,
// how many members it has so far, a 64-bit filter of their hashes and, past smallObject
// members, an open-addressed index of them (slot: member number + 1; 0 is free).
type object struct {
	base, n int
	seen    uint64 // bit hash%64 set for each key (small objects: skips most comparisons)
	index   []uint16
}

// enterObject consumes '{' and starts reading an object's members.
func (s *scanner) enterObject() (object, error) {
	if err := s.enter('{'); err != nil {
		return object{}, err
	}
	return object{base: s.keys.n}, nil
}

// member moves to the next member of o: it returns its key (the value follows and must be
// consumed), or ok false after consuming the closing '}'. It refuses a key that folds like
// another key of o, one that folds like a name in known without being it, and a member
// past maxJSONMembers. known lists the members the caller reads (lower-case ASCII).
func (s *scanner) member(o *object, known []string) (key string, ok bool, err error) {
	d, pos := s.data, s.pos
	for pos < len(d) && d[pos] <= ' ' && isSpace(d[pos]) {
		pos++
	}
	if pos < len(d) && d[pos] == '}' {
		s.pos = pos + 1
		s.depth--
		s.keys.n = o.base
		if o.index != nil {
			s.spare = o.index
		}
		return "", false, nil
	}
	if o.n > 0 {
		if pos >= len(d) || d[pos] != ',' {
			return "", false, errJSON
		}
		pos++
		for pos < len(d) && d[pos] <= ' ' && isSpace(d[pos]) {
			pos++
		}
	}
	if pos >= len(d) || d[pos] != '"' {
		return "", false, errJSON
	}
	// A key of printable ASCII ends at the first quote; on the way, its first 8 bytes are
	// folded and packed as hashKey does, and upper case is noted. rawString reads any other.
	start, end := pos+1, pos+1
	var v uint64
	upper, plain := false, false
	for ; end < len(d); end++ {
		c := d[end]
		if c-0x20 >= 0x60 || c == '"' || c == '\\' {
			plain = c == '"'
			break
		}
		if c-'A' < 26 {
			c += 'a' - 'A'
			upper = true
		}
		if n := end - start; n < 8 {
			v |= uint64(c) << (8 * n)
		}
	}
	if plain {
		key, pos = d[start:end], end+1
	} else {
		s.pos = pos
		var escaped bool
		if key, escaped, err = s.rawString(); err != nil || escaped {
			return "", false, errJSON
		}
		pos = s.pos
	}
	for pos < len(d) && d[pos] <= ' ' && isSpace(d[pos]) {
		pos++
	}
	if pos >= len(d) || d[pos] != ':' {
		return "", false, errJSON
	}
	s.pos = pos + 1
	if o.n >= maxJSONMembers {
		return key, true, errTooManyMembers
	}
	var h uint64
	switch {
	case plain && len(key) <= 8 && upper && isKnown(v, len(key), known):
		return key, true, errCaseVariant
	case plain && len(key) <= 8:
		h = s.mix(v)
	case plain && !upper:
		h = maphash.String(s.seed, key) // lower-case ASCII: its own folded form
	default:
		if h, err = s.hashKey(key, known); err != nil {
			return key, true, err
		}
	}
	return key, true, s.addKey(o, key, start, h)
}

// addKey records key, data[start:start+len(key)], whose folded form hashes to h, as o's
// next member, unless another member's key folds alike.
func (s *scanner) addKey(o *object, key string, start int, h uint64) error {
	if o.index == nil && o.n == smallObject {
		s.buildIndex(o)
	}
	if o.index == nil {
		if bit := uint64(1) << (h % 64); o.seen&bit == 0 {
			o.seen |= bit // no key of o has this hash
		} else {
			for i := o.base; i < o.base+o.n; i++ {
				if e := s.keys.at(i); e.hash == h && foldEqual(s.data[e.start:e.end], key) {
					return errDuplicate
				}
			}
		}
	} else if slot, dup := s.lookup(o, h, key); dup {
		return errDuplicate
	} else {
		o.index[slot] = uint16(o.n + 1)
	}
	s.keys.push(keyEntry{hash: h, start: uint32(start), end: uint32(start + len(key))})
	o.n++
	return nil
}

// lookup finds key in o's index: the slot holding it (dup true) or the free slot where
// it goes.
func (s *scanner) lookup(o *object, h uint64, key string) (slot int, dup bool) {
	for i := int(h % indexSlots); ; i = (i + 1) % indexSlots {
		m := o.index[i]
		if m == 0 {
			return i, false
		}
		if e := s.keys.at(o.base + int(m) - 1); e.hash == h && foldEqual(s.data[e.start:e.end], key) {
			return i, true
		}
	}
}

// buildIndex gives o an index of its members, reusing the one of an object read before.
func (s *scanner) buildIndex(o *object) {
	if o.index = s.spare; o.index != nil {
		s.spare = nil
		clear(o.index)
	} else {
		o.index = make([]uint16, indexSlots)
	}
	for m := 0; m < o.n; m++ {
		i := int(s.keys.at(o.base+m).hash % indexSlots)
		for o.index[i] != 0 {
			i = (i + 1) % indexSlots
		}
		o.index[i] = uint16(m + 1)
	}
}

// hashKey returns the hash of key's folded form; it refuses a key whose folded form is a
// name in known that key is not, and non-ASCII characters past the document's budget.
// Folded forms of up to 8 bytes are hashed by mix, longer ones by maphash.
func (s *scanner) hashKey(key string, known []string) (uint64, error) {
	if len(key) <= 8 {
		// Up to 8 bytes of ASCII, folded and packed (a key holds no zero byte: packing is
		// one-to-one).
		var v uint64
		upper := false
		for i := 0; i < len(key); i++ {
			c := key[i]
			if c >= utf8.RuneSelf {
				return s.hashFolded(key, known)
			}
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
				upper = true
			}
			v |= uint64(c) << (8 * i)
		}
		if upper && isKnown(v, len(key), known) {
			return 0, errCaseVariant
		}
		return s.mix(v), nil
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			return s.hashFolded(key, known)
		}
	}
	return maphash.String(s.seed, key), nil // lower-case ASCII: its own folded form
}

// hashFolded is hashKey for a key that is not its own folded form.
func (s *scanner) hashFolded(key string, known []string) (uint64, error) {
	if len(key) > shortKey {
		return s.hashLongKey(key)
	}
	// A folded rune is never longer than the rune: the folded key fits in buf.
	var buf [shortKey]byte
	b := buf[:len(key)]
	for i := 0; i < len(key); i++ { // ASCII, byte by byte
		c := key[i]
		if c >= utf8.RuneSelf {
			b = b[:i]
			break
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	for _, r := range key[len(b):] {
		if r, ok := foldASCII(r); ok {
			b = append(b, byte(r))
			continue
		}
		if s.folded++; s.folded > maxFoldedRunes {
			return 0, errFoldBudget
		}
		b = utf8.AppendRune(b, foldRune(r))
	}
	if len(b) > 8 {
		for _, name := range known {
			if len(b) <= maxKnownName && string(b) == name {
				return 0, errCaseVariant
			}
		}
		return maphash.Bytes(s.seed, b), nil
	}
	var v uint64
	for i, c := range b {
		v |= uint64(c) << (8 * i)
	}
	if isKnown(v, len(b), known) {
		return 0, errCaseVariant
	}
	return s.mix(v), nil
}

// isKnown reports whether the folded key packed in v, n bytes long, is one of known.
func isKnown(v uint64, n int, known []string) bool {
	for _, name := range known {
		if len(name) != n {
			continue
		}
		var w uint64
		for i := 0; i < n; i++ {
			w |= uint64(name[i]) << (8 * i)
		}
		if w == v {
			return true
		}
	}
	return false
}

// mix hashes a packed folded key of up to 8 bytes with the document's keys: a keyed
// multiply-xorshift, whose every output bit depends on every input bit.
func (s *scanner) mix(v uint64) uint64 {
	x := (v ^ s.k0) * s.k1
	x ^= x >> 32
	x *= 0xd6e8feb86659fd93
	return x ^ x>>32
}

// hashLongKey is hashKey for a key longer than any known name and than shortKey: its
// folded form is hashed in chunks.
func (s *scanner) hashLongKey(key string) (uint64, error) {
	var h maphash.Hash
	h.SetSeed(s.seed)
	var buf [shortKey]byte
	b := buf[:0]
	for i := 0; i < len(key); {
		if len(b) > len(buf)-utf8.UTFMax {
			_, _ = h.Write(b) // never fails
			b = buf[:0]
		}
		if c := key[i]; c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b = append(b, c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(key[i:])
		if s.folded++; s.folded > maxFoldedRunes {
			return 0, errFoldBudget
		}
		b = utf8.AppendRune(b, foldRune(r))
		i += n
	}
	_, _ = h.Write(b)
	return h.Sum64(), nil
}

// foldASCII folds an ASCII rune (to lower case); ok is false for any other rune.
func foldASCII(r rune) (rune, bool) {
	if r >= utf8.RuneSelf {
		return r, false
	}
	if 'A' <= r && r <= 'Z' {
		r += 'a' - 'A'
	}
	return r, true
}

// foldRune folds a rune as encoding/json's foldName does, to the smallest rune of its
// simple folding orbit, except that an ASCII letter folds to lower case (foldName: upper),
// so that a lower-case ASCII key is its own folded form. Both choose one rune per orbit:
// two keys fold alike here exactly when they do for encoding/json.
func foldRune(r rune) rune {
	if f, ok := foldASCII(r); ok {
		return f
	}
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		m = min(m, f)
	}
	f, _ := foldASCII(m) // 'ſ' folds to 's', 'K' (Kelvin) to 'k'
	return f
}

// foldEqual reports whether a and b (valid UTF-8) fold alike.
func foldEqual(a, b string) bool {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb && foldRune(ra) != foldRune(rb) {
			return false
		}
		a, b = a[na:], b[nb:]
	}
	return a == b
}

// memberError is the error of a nested object's member: errJSON as it is, a refused key
// with the key.
func memberError(key string, err error) error {
	if err == errJSON {
		return err
	}
	return fmt.Errorf("member %q %w", keyText(key), err)
}

// keyText is key for an error message, cut to 64 bytes (on a rune boundary).
func keyText(key string) string {
	if len(key) <= 64 {
		return key
	}
	i := 64
	for i > 0 && !utf8.RuneStart(key[i]) {
		i--
	}
	return key[:i] + "…"
}
