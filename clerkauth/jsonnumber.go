package clerkauth

import (
	"errors"
	"strconv"
)

const (
	// maxNumberLen bounds the numbers the reader converts (exp, nbf, iat, v, fva):
	// strconv.ParseFloat takes microseconds over a long number near a rounding midpoint,
	// and Clerk writes these as short integers.
	maxNumberLen = 32
	// float64Threshold is 2¹⁰²⁴ − 2⁹⁷⁰, the smallest magnitude strconv.ParseFloat rounds
	// to infinity (the midpoint of math.MaxFloat64 and 2¹⁰²⁴, where rounding to even goes
	// up). It has 309 digits: its leading digit stands for 10³⁰⁸.
	float64Threshold = "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792"
)

var (
	errNumberRange  = errors.New("number outside float64's range")
	errNumberLength = errors.New("number longer than 32 characters")
)

// rawNumber reads a number token (RFC 8259 grammar) and returns it as written; a number
// that would overflow a float64 is refused (encoding/json cannot decode it into one).
func (s *scanner) rawNumber() (string, error) {
	s.ws()
	start := s.pos
	d := s.data
	i := s.pos
	// Fast path: one digit, then none of the number's characters.
	if i+1 < len(d) && d[i]-'0' < 10 && d[i+1]-'0' >= 10 && d[i+1] != '.' && d[i+1]|0x20 != 'e' {
		s.pos = i + 1
		return d[i : i+1], nil
	}
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
	intEnd := i
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			return "", errJSON
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	// The number is below 10^bound (the integer part's length, sign included, plus a
	// positive exponent); when that is 10³⁰⁸ or less it is in range.
	bound := intEnd - start
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		neg := i < len(d) && d[i] == '-'
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			return "", errJSON
		}
		e := 0
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			e = min(e*10+int(d[i]-'0'), 1<<20) // a bound, not the value: saturating is safe
			i++
		}
		if !neg {
			bound += e
		}
	}
	s.pos = i
	raw := d[start:i]
	if bound > 308 && !inFloat64Range(raw) {
		return "", errNumberRange
	}
	return raw, nil
}

// inFloat64Range reports whether strconv.ParseFloat(raw, 64) gives a finite value, for a
// number in RFC 8259 grammar, in time linear in its length (ParseFloat may take far longer).
func inFloat64Range(raw string) bool {
	i := 0
	if raw[0] == '-' {
		i++
	}
	intStart := i
	for i < len(raw) && raw[i] >= '0' && raw[i] <= '9' {
		i++
	}
	intPart := raw[intStart:i]
	frac := ""
	if i < len(raw) && raw[i] == '.' {
		j := i + 1
		for j < len(raw) && raw[j] >= '0' && raw[j] <= '9' {
			j++
		}
		frac, i = raw[i+1:j], j
	}
	var exp int64 // saturates far beyond any length a document can have
	if i < len(raw) {
		i++ // 'e' or 'E'
		neg := raw[i] == '-'
		if raw[i] == '-' || raw[i] == '+' {
			i++
		}
		for ; i < len(raw); i++ {
			if exp < 1<<40 {
				exp = exp*10 + int64(raw[i]-'0')
			}
		}
		if neg {
			exp = -exp
		}
	}
	// lead is the power of ten of the leading significant digit; digits the significant
	// digits, in two parts (the integer part's and the fraction's).
	var lead int64
	var d1, d2 string
	if intPart != "0" { // the grammar allows no other leading zero
		lead, d1, d2 = int64(len(intPart))-1+exp, intPart, frac
	} else {
		z := 0
		for z < len(frac) && frac[z] == '0' {
			z++
		}
		if z == len(frac) {
			return true // zero, whatever the exponent
		}
		lead, d2 = exp-int64(z)-1, frac[z:]
	}
	switch {
	case lead < 308:
		return true
	case lead > 308:
		return false
	}
	// The threshold's magnitude: compare the digits.
	t := float64Threshold
	for _, part := range [2]string{d1, d2} {
		for k := 0; k < len(part); k++ {
			if t == "" {
				return false // the threshold's 309 digits, then more: at or above it
			}
			if part[k] != t[0] {
				return part[k] < t[0]
			}
			t = t[1:]
		}
	}
	// A proper prefix of the threshold's digits, whose last digit is not 0, is below it;
	// all of them is the threshold itself.
	return t != ""
}

// number reads a number value as a float64. Numbers longer than maxNumberLen are refused.
func (s *scanner) number() (float64, error) {
	raw, err := s.rawNumber()
	if err != nil {
		return 0, err
	}
	if len(raw) > maxNumberLen {
		return 0, errNumberLength
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
		return 0, errJSON // unreachable: rawNumber checked the grammar and the range
	}
	return f, nil
}
