package clerkauth

import (
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"
)

// TestFoldRuneIsEncodingJSONs checks foldRune on every rune: it picks one rune of the
// rune's simple folding orbit, the same for the whole orbit, so two runes fold alike
// exactly when encoding/json's foldName (bytes.EqualFold) says they match.
func TestFoldRuneIsEncodingJSONs(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue // surrogates are never in a decoded key
		}
		f := foldRune(r)
		if !strings.EqualFold(string(r), string(f)) {
			t.Fatalf("%U folds to %U, outside its orbit", r, f)
		}
		for g := unicode.SimpleFold(r); g != r; g = unicode.SimpleFold(g) {
			if foldRune(g) != f {
				t.Fatalf("%U and %U, one orbit, fold to %U and %U", r, g, f, foldRune(g))
			}
		}
	}
	require.Equal(t, 's', foldRune('ſ'))
	require.Equal(t, 'k', foldRune('\u212a'))
	require.Equal(t, 'İ', foldRune('İ'), "U+0130 has no simple folding")
}

// TestKnownNamesAreRead: every name the variant check protects is one the readers read
// (a wrong type is refused), and its upper-case variant is refused.
func TestKnownNamesAreRead(t *testing.T) {
	for _, name := range claimNames {
		_, err := parseClaims(`{"` + name + `":true}`)
		require.ErrorIs(t, err, ErrTokenMalformed, name)
		_, err = parseClaims(`{"` + strings.ToUpper(name) + `":null}`)
		require.ErrorIs(t, err, errCaseVariant, name)
		if name != "v" { // v is never null
			_, err = parseClaims(`{"` + name + `":null}`)
			require.NoError(t, err, name)
		}
	}
	for _, name := range oNames {
		_, err := parseClaims(`{"o":{"` + name + `":true}}`)
		require.ErrorIs(t, err, errType, name)
		_, err = parseClaims(`{"o":{"` + strings.ToUpper(name) + `":null}}`)
		require.ErrorIs(t, err, errCaseVariant, name)
	}
	for _, name := range actNames {
		_, err := parseClaims(`{"act":{"` + name + `":true}}`)
		require.ErrorIs(t, err, errType, name)
		_, err = parseClaims(`{"act":{"` + strings.ToUpper(name) + `":null}}`)
		require.ErrorIs(t, err, errCaseVariant, name)
	}
	for _, name := range headerNames {
		h, err := parseHeader(`{"alg":"RS256","` + name + `":true}`)
		if name == "crit" {
			require.True(t, h.crit) // read as present, refused by Verify
		} else if name != "alg" {
			require.ErrorIs(t, err, ErrTokenMalformed, name)
		}
		_, err = parseHeader(`{"alg":"RS256","` + strings.ToUpper(name) + `":null}`)
		require.ErrorIs(t, err, errCaseVariant, name)
	}
}

// TestFloat64Range checks inFloat64Range against strconv.ParseFloat around the overflow
// threshold, in many spellings of the same magnitudes.
func TestFloat64Range(t *testing.T) {
	th := float64Threshold
	below := th[:len(th)-1] + "1" // the threshold minus 1
	var nums []string
	for _, digits := range []string{th, below, th[:17], th[:16] + "7", th[:16] + "9", th[:200], th + "0", th + "000001", below + "9999"} {
		for _, exp := range []int{-1, 0, 1} {
			lead := len(th) - 1 + exp // the magnitude: 10^307, 10^308, 10^309
			nums = append(nums,
				digits[:1]+"."+digits[1:]+"e"+strconv.Itoa(lead),
				digits[:1]+"."+digits[1:]+"E+"+strconv.Itoa(lead),
				"-"+digits+"e"+strconv.Itoa(lead-len(digits)+1),
				"0.000"+digits+"e"+strconv.Itoa(lead+4),
				digits[:3]+"."+digits[3:]+"e"+strconv.Itoa(lead-2),
			)
		}
	}
	nums = append(nums, th, below, "-"+th, "1"+strings.Repeat("0", 308), strings.Repeat("9", 309), "1e308", "1e309",
		"0e400", "0.0e1000000000000", "1e-400", "1e1000000000000000000000", "-0.0000e-99999999999999999999999")
	refused := 0
	for _, n := range nums {
		_, err := strconv.ParseFloat(n, 64)
		require.Equal(t, err == nil, inFloat64Range(n), n)
		if err != nil {
			refused++
		}
	}
	require.Greater(t, refused, 20)
	require.Less(t, refused, len(nums)-20)
}

// TestIndexReuse: objects past smallObject members get an index, reused by the next;
// nested large objects each have their own.
func TestIndexReuse(t *testing.T) {
	obj := func(n int, prefix string) string {
		m := make([]string, n)
		for i := range m {
			m[i] = `"` + prefix + strconv.Itoa(i) + `":0`
		}
		return "{" + strings.Join(m, ",") + "}"
	}
	ok := `{"a":` + obj(30, "a") + `,"b":` + obj(40, "a") + `,"c":{"x":` + obj(50, "a") + `,` + obj(60, "b")[1:] + `}`
	_, err := parseClaims(ok)
	require.NoError(t, err)
	dup := `{"a":` + obj(30, "a") + `,"b":` + obj(40, "a") + `,"c":{"x":` + obj(50, "a") + `,` + obj(60, "b")[1:len(obj(60, "b"))-1] + `,"B59":1}}`
	_, err = parseClaims(dup)
	require.ErrorIs(t, err, errDuplicate)
}
