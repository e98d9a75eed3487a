package clerkauth_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth"
)

// hostileToken is a token built to be as expensive as possible to refuse before its
// signature is checked: as long as the size limit allows, with the members, nesting,
// escapes or numbers that cost the reader most. want is the sentinel it is refused with.
type hostileToken struct {
	name  string
	token string
	want  error
}

// hostileSig is the signature segment of the hostile tokens: none of them gets as far as
// the signature, so a short one leaves the most room for the payload.
const hostileSig = "c2ln"

const evilIssuer = "https://clerk.evil.example"

// float64Threshold is 2¹⁰²⁴ − 2⁹⁷⁰, the smallest number strconv.ParseFloat rounds to
// infinity: the midpoint of math.MaxFloat64 and 2¹⁰²⁴, where rounding to even goes up.
const float64Threshold = "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792"

// hostileTokens builds the hostile tokens for a verifier of kid's instance, each at most
// limit bytes long (and within a few bytes of it).
func hostileTokens(kid string, limit int) []hostileToken {
	header := `{"alg":"RS256","kid":"` + kid + `","typ":"JWT"}`
	// room is the payload length (decoded bytes) that still fits within limit next to h.
	room := func(h string) int {
		return (limit - 2 - len(hostileSig) - base64.RawURLEncoding.EncodedLen(len(h))) * 3 / 4
	}
	token := func(h, p string) string {
		return base64.RawURLEncoding.EncodeToString([]byte(h)) + "." + base64.RawURLEncoding.EncodeToString([]byte(p)) + "." + hostileSig
	}
	// fill appends members (member(i) returns one, with its leading comma) to prefix while
	// prefix+members+suffix stays within n bytes and i < max, then pads with a string
	// member (an element when suffix closes an array) to n bytes.
	fill := func(n int, prefix string, max int, member func(i int) string, suffix string) string {
		var b strings.Builder
		b.WriteString(prefix)
		for i := 0; i < max; i++ {
			m := member(i)
			if b.Len()+len(m)+len(suffix) > n {
				break
			}
			b.WriteString(m)
		}
		pad := `,"~":"`
		if suffix[0] == ']' {
			pad = `,"`
		}
		if left := n - b.Len() - len(suffix) - len(pad) - 1; left >= 0 {
			b.WriteString(pad + strings.Repeat("~", left) + `"`)
		}
		b.WriteString(suffix)
		return b.String()
	}
	evil := `{"iss":"` + evilIssuer + `"`
	n := room(header)

	// Flat: 255 members next to iss (the per-object limit is 256), keys of one length with
	// a long common prefix, so that comparing two of them reads most of both.
	keyLen := (n-len(evil)-1)/255 - len(`,"":0`)
	flat := func(prefix string, runeLen int) func(i int) string {
		p := strings.Repeat(prefix, (keyLen-4)/runeLen)
		return func(i int) string { return fmt.Sprintf(`,"%s%04d":0`, p, i) }
	}
	// Objects of 24 and of 256 two-letter members each, as many as fit.
	twoLetters := func(i int) string {
		const a = "abcdefghijklmnop"
		return `"` + string(a[i/16%16]) + string(a[i%16]) + `":0`
	}
	objects := func(per int) func(i int) string {
		return func(i int) string {
			var b strings.Builder
			fmt.Fprintf(&b, `,"o%d":{`, i)
			for j := range per {
				if j > 0 {
					b.WriteByte(',')
				}
				b.WriteString(twoLetters(j))
			}
			b.WriteByte('}')
			return b.String()
		}
	}
	// A NumericDate just above the midpoint of two float64s, with a long tail: the value
	// strconv.ParseFloat needs its slow path for.
	halfway := func(whole string, zeros int) string {
		return whole + ".00000011920928955078125" + strings.Repeat("0", zeros) + "1"
	}

	return []hostileToken{
		{name: "flat 256 lower-case keys", want: clerkauth.ErrIssuer,
			token: token(header, fill(n, evil, 254, flat("k", 1), "}"))},
		{name: "flat 256 upper-case keys", want: clerkauth.ErrIssuer,
			token: token(header, fill(n, evil, 254, flat("K", 1), "}"))},
		{name: "flat 256 keys of U+017F", want: clerkauth.ErrTokenMalformed,
			token: token(header, fill(n, evil, 254, flat("\u017f", 2), "}"))},
		{name: "flat 256 keys of the Kelvin sign", want: clerkauth.ErrTokenMalformed,
			token: token(header, fill(n, evil, 254, flat("\u212a", 3), "}"))},
		{name: "32 slow runes then upper-case keys", want: clerkauth.ErrIssuer,
			token: token(header, fill(n, evil, 254, func(i int) string {
				if i < 4 { // the most the budget allows; U+0345 is among the slowest runes to fold
					return fmt.Sprintf(`,"%s%03d"`, strings.Repeat("\u0345", 8), i) + ":0"
				}
				return fmt.Sprintf(`,"%s%03d"`, strings.Repeat("K", keyLen-3), i) + ":0"
			}, "}"))},
		{name: "long upper-case keys", want: clerkauth.ErrIssuer,
			token: token(header, fill(n, evil, 254, func(i int) string {
				return fmt.Sprintf(`,"%s%03d":0`, strings.Repeat("K", 130), i)
			}, "}"))},
		{name: "flat 256 keys, the last a folding duplicate", want: clerkauth.ErrTokenMalformed,
			token: token(header, fill(n-len(`,"\u017f0000":0`), evil, 253, flat("s", 1), `,"`+strings.Repeat("\u017f", keyLen-4)+`0000":0}`))},
		{name: "objects of 24 members", want: clerkauth.ErrIssuer,
			token: token(header, fill(n, evil, 1<<20, objects(24), "}"))},
		{name: "objects of 256 members", want: clerkauth.ErrIssuer,
			token: token(header, fill(n, evil, 1<<20, objects(256), "}"))},
		{name: "header of 256 parameters", want: clerkauth.ErrIssuer,
			token: token(fill(limit*3/4-80, `{"alg":"RS256","kid":"`+kid+`"`, 253, flat("k", 1), "}"), evil+"}")},
		{name: "deep arrays", want: clerkauth.ErrIssuer,
			token: token(header, fill(n, evil, 1<<20, func(i int) string {
				return fmt.Sprintf(`,"a%d":%s%s`, i, strings.Repeat("[", 31), strings.Repeat("]", 31))
			}, "}"))},
		{name: "deep objects", want: clerkauth.ErrIssuer,
			token: token(header, fill(n, evil, 1<<20, func(i int) string {
				return fmt.Sprintf(`,"a%d":%s0%s`, i, strings.Repeat(`{"a":`, 30), strings.Repeat("}", 30))
			}, "}"))},
		{name: "empty objects", want: clerkauth.ErrIssuer,
			token: token(header, fill(n, evil+`,"a":[{}`, 1<<20, func(int) string { return ",{}" }, "]}"))},
		{name: "escaped strings in read claims", want: clerkauth.ErrIssuer,
			token: token(header, fill(n, `{"iss":"`+strings.Repeat(`\u0068`, 200)+`"`, 1<<20, func(i int) string {
				names := []string{"sub", "sid", "azp", "jti", "sts", "pla", "fea", "org_id", "org_slug", "org_role"}
				if i < len(names) {
					return `,"` + names[i] + `":"` + strings.Repeat(`\u00e9\ud83d\ude00\n`, 20) + `"`
				}
				return fmt.Sprintf(`,"x%d":"%s"`, i, strings.Repeat(`\ud83d\ude00`, 40))
			}, "}"))},
		{name: "org_permissions of escaped strings", want: clerkauth.ErrIssuer,
			token: token(header, fill(n, evil+`,"org_permissions":["\n"`, 1<<20, func(int) string { return `,"\n"` }, "]}"))},
		{name: "multibyte strings", want: clerkauth.ErrIssuer,
			token: token(header, fill(n, evil, 1<<20, func(i int) string {
				return fmt.Sprintf(`,"x%d":"%s"`, i, strings.Repeat("€", 100))
			}, "}"))},
		{name: "numbers with exponents", want: clerkauth.ErrIssuer,
			token: token(header, fill(n, evil+`,"n":[1.7976931348623157e308`, 1<<20, func(int) string { return ",-1.7976931348623157e308" }, "]}"))},
		{name: "long numbers near the float64 limit", want: clerkauth.ErrIssuer,
			token: token(header, fill(n, evil+`,"n":[0`, 1<<20, func(int) string {
				// The first 200 digits of the overflow threshold, at its magnitude: as long a
				// comparison with the threshold as a number of this length needs.
				return "," + float64Threshold[:200] + "e109"
			}, "]}"))},
		{name: "numeric claims of 900 digits", want: clerkauth.ErrTokenMalformed,
			token: token(header, evil+`,"exp":`+halfway("1800000000", 900)+`}`)},
		{name: "numeric claims of 32 characters", want: clerkauth.ErrIssuer,
			token: token(header, fill(n, evil+`,"exp":`+halfway("1800000000", 0)[:32]+`,"nbf":`+halfway("1799999990", 0)[:32]+
				`,"iat":`+halfway("1799999999", 0)[:32]+`,"v":2.000000000000000000000000000000,"fva":[1.000000000000000000000000000000,2.000000000000000000000000000000]`,
				1<<20, func(i int) string { return fmt.Sprintf(`,"n%d":1.000000000000000000000000000000`, i) }, "}"))},
	}
}

// TestHostileTokensAreRefused keeps the inputs of BenchmarkRefuseHostile honest: each is
// within the size limit and close to it, and refused before its signature is checked,
// with the sentinel it was built for.
func TestHostileTokensAreRefused(t *testing.T) {
	f := newFixture(t, nil)
	for _, h := range hostileTokens(f.iss.KeyID(), clerkauth.DefaultMaxTokenBytes) {
		t.Run(h.name, func(t *testing.T) {
			require.LessOrEqual(t, len(h.token), clerkauth.DefaultMaxTokenBytes)
			if !strings.Contains(h.name, "900 digits") && !strings.Contains(h.name, "Kelvin") {
				require.Greater(t, len(h.token), clerkauth.DefaultMaxTokenBytes-64, "as long as the limit allows")
			}
			_, err := f.verify(t, h.token)
			require.ErrorIs(t, err, h.want)
		})
	}
}

// BenchmarkRefuseHostile compares the floor (one RSA verification of a normal token) with
// refusing each hostile token: "x-floor" is the refusal's time over the floor's, and the
// target is at most 1 for every one of them (issue 11, F7).
func BenchmarkRefuseHostile(b *testing.B) {
	f := newBenchFixture(b)
	floor := f.floor(b)
	for _, h := range hostileTokens(f.iss.KeyID(), clerkauth.DefaultMaxTokenBytes) {
		b.Run(strings.ReplaceAll(h.name, " ", "_"), func(b *testing.B) {
			runRatio(b, floor, func() {
				if _, err := f.v.Verify(b.Context(), h.token); err == nil {
					b.Fatal("a hostile token was accepted")
				}
			})
		})
	}
}
