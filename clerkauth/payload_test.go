package clerkauth_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth"
)

// payloadCase is a validly signed token whose header or payload has extra members
// spliced in: want is the sentinel it must be refused with, nil when it must verify.
type payloadCase struct {
	header, payload string
	want            error
}

func checkPayloadCases(t *testing.T, cases map[string]payloadCase) {
	t.Helper()
	f := newFixture(t, nil)
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s, err := f.verify(t, f.rawToken(f.header(tc.header), f.validPayload(tc.payload)))
			if tc.want == nil {
				require.NoError(t, err)
				require.NotNil(t, s)
				return
			}
			require.ErrorIs(t, err, tc.want)
			require.Nil(t, s)
		})
	}
}

// TestFoldingDuplicatesAreRefused: keys encoding/json would match to one struct field
// (Unicode simple folding: 'ſ' U+017F is 's', the Kelvin sign U+212A is 'k') are
// duplicates, at every depth; keys that fold apart are not.
func TestFoldingDuplicatesAreRefused(t *testing.T) {
	checkPayloadCases(t, map[string]payloadCase{
		"ſub next to sub":                     {payload: `,"ſub":"user_b"`, want: clerkauth.ErrTokenMalformed},
		"Kelvin Kind next to kind":            {payload: `,"kind":"a","` + "\u212a" + `ind":"b"`, want: clerkauth.ErrTokenMalformed},
		"Kelvin kind before KIND":             {payload: `,"` + "\u212a" + `ind":"a","KIND":"b"`, want: clerkauth.ErrTokenMalformed},
		"ß next to ẞ":                         {payload: `,"ß":1,"ẞ":2`, want: clerkauth.ErrTokenMalformed},
		"σ next to ς":                         {payload: `,"σ":1,"ς":2`, want: clerkauth.ErrTokenMalformed},
		"exact duplicate in a nested object":  {payload: `,"meta":{"plan":"a","plan":"b"}`, want: clerkauth.ErrTokenMalformed},
		"folding duplicate in a nested array": {payload: `,"meta":[{"plan":"a","PLAN":"b"}]`, want: clerkauth.ErrTokenMalformed},
		"folding duplicate, deep":             {payload: `,"a":{"b":{"c":{"ſ":1,"S":2}}}`, want: clerkauth.ErrTokenMalformed},
		"folding duplicate in o":              {payload: `,"o":{"id":"org_1","ıd":"x","ID":"org_2"}`, want: clerkauth.ErrTokenMalformed},
		"folding duplicate in act":            {payload: `,"act":{"sub":"user_a","ſub":"user_b"}`, want: clerkauth.ErrTokenMalformed},
		"folding duplicate in the header":     {header: `,"ſid":"a","SID":"b"`, want: clerkauth.ErrTokenMalformed},

		// İ (U+0130) and ı (U+0131) have no simple folding: encoding/json keeps them apart
		// from i and I, and so does the reader.
		"İd next to id":                 {payload: `,"meta":{"id":1,"İd":2,"ıd":3}`},
		"similar keys":                  {payload: `,"subs":"x","Sub2":"y","ſubs2":"z"`},
		"the same key in two objects":   {payload: `,"a":{"x":1},"b":{"x":1,"X2":2},"c":[{"x":1},{"x":2}]`},
		"a custom claim in upper case":  {payload: `,"Email":"a@example.com","` + "\u212a" + `ind":"admin"`},
		"one key per object, repeated":  {payload: `,"a":[` + strings.Repeat(`{"k":1},`, 300) + `{"k":1}]`},
		"a nested object of 256 keys":   {payload: `,"a":{` + members(256, 0) + `}`},
		"256 keys, two levels, no dups": {payload: `,"a":{` + members(30, 0) + `,"b":{` + members(200, 0) + `},` + members(225, 30) + `}`},
	})
}

// TestDuplicatesInLargeObjects: past 24 members an object is indexed; a duplicate is
// found wherever it is, and the keys of enclosing objects stay apart.
func TestDuplicatesInLargeObjects(t *testing.T) {
	cases := map[string]payloadCase{}
	for _, at := range []int{1, 23, 24, 25, 100, 255} {
		for _, dup := range []string{"k0000", "K0000", "\u212a0000", fmt.Sprintf("K%04d", at-1), fmt.Sprintf("k%04d", at/2)} {
			cases[fmt.Sprintf("%s after %d keys", dup, at)] = payloadCase{
				payload: `,"a":{` + members(at, 0) + `,"` + dup + `":1}`, want: clerkauth.ErrTokenMalformed,
			}
		}
	}
	cases["the 257th member"] = payloadCase{payload: `,"a":{` + members(257, 0) + `}`, want: clerkauth.ErrTokenMalformed}
	cases["257 members in all, in two objects"] = payloadCase{payload: `,"a":{` + members(200, 0) + `},"b":{` + members(57, 0) + `}`}
	cases["a key of the enclosing object again, nested"] = payloadCase{payload: `,"a":{` + members(30, 0) + `,"b":{` + members(30, 0) + `}}`}
	checkPayloadCases(t, cases)
}

// members returns n members "k<i>":i, i from first on.
func members(n, first int) string {
	m := make([]string, n)
	for i := range m {
		m[i] = fmt.Sprintf(`"k%04d":%d`, first+i, i)
	}
	return strings.Join(m, ",")
}

// TestCaseVariantsOfReadClaimsAreRefused: a key that folds like a claim the verifier
// reads without being it is refused, alone or not: Claims[T] would read it where the
// verifier read nothing ("STS":"pending" is a pending session to a struct's sts field).
func TestCaseVariantsOfReadClaimsAreRefused(t *testing.T) {
	checkPayloadCases(t, map[string]payloadCase{
		"STS alone":       {payload: `,"STS":"pending"`, want: clerkauth.ErrTokenMalformed},
		"ſts alone":       {payload: `,"ſts":"pending"`, want: clerkauth.ErrTokenMalformed},
		"ACT alone":       {payload: `,"ACT":{"sub":"user_admin"}`, want: clerkauth.ErrTokenMalformed},
		"O alone":         {payload: `,"O":{"id":"org_1","rol":"admin"}`, want: clerkauth.ErrTokenMalformed},
		"Org_Id alone":    {payload: `,"Org_Id":"org_1"`, want: clerkauth.ErrTokenMalformed},
		"V alone":         {payload: `,"V":3`, want: clerkauth.ErrTokenMalformed},
		"FVA alone":       {payload: `,"FVA":[0,0]`, want: clerkauth.ErrTokenMalformed},
		"Org_Permissions": {payload: `,"Org_Permissions":["org:a:b"]`, want: clerkauth.ErrTokenMalformed},
		"o.ID alone":      {payload: `,"o":{"ID":"org_2"}`, want: clerkauth.ErrTokenMalformed},
		"o.Rol":           {payload: `,"o":{"id":"org_1","Rol":"admin"}`, want: clerkauth.ErrTokenMalformed},
		"act.SUB alone":   {payload: `,"act":{"SUB":"user_admin"}`, want: clerkauth.ErrTokenMalformed},
		"act.ſid":         {payload: `,"act":{"sub":"user_admin","ſid":"sess_2"}`, want: clerkauth.ErrTokenMalformed},
		"header Crit":     {header: `,"Crit":["exp"]`, want: clerkauth.ErrTokenMalformed},
		"header CAT":      {header: `,"CAT":"cl_B7d4PD222AAA"`, want: clerkauth.ErrTokenMalformed},

		// Elsewhere the names are anyone's.
		"STS in a custom object": {payload: `,"meta":{"STS":"pending","Sub":"x"}`},
		"ID in act":              {payload: `,"act":{"sub":"user_admin","ID":"x"}`},
		"sub in o":               {payload: `,"o":{"id":"org_1","SUB":"x"}`},
	})
}

// TestNumbersOutOfFloat64RangeAreRefused: encoding/json cannot decode them into a
// float64, wherever they are; everything within range (underflow included) is fine.
func TestNumbersOutOfFloat64RangeAreRefused(t *testing.T) {
	checkPayloadCases(t, map[string]payloadCase{
		"1e400 in a custom claim":   {payload: `,"x":1e400`, want: clerkauth.ErrTokenMalformed},
		"-1e400 nested":             {payload: `,"x":[{"y":-1e400}]`, want: clerkauth.ErrTokenMalformed},
		"in o":                      {payload: `,"o":{"id":"org_1","n":1E+309}`, want: clerkauth.ErrTokenMalformed},
		"310 digits":                {payload: `,"x":1` + strings.Repeat("0", 309), want: clerkauth.ErrTokenMalformed},
		"just past MaxFloat64":      {payload: `,"x":1.797693134862315808e308`, want: clerkauth.ErrTokenMalformed},
		"0.0001e313":                {payload: `,"x":0.0001e313`, want: clerkauth.ErrTokenMalformed},
		"in the header":             {header: `,"x":1e400`, want: clerkauth.ErrTokenMalformed},
		"MaxFloat64":                {payload: `,"x":1.7976931348623157e308,"y":-1.797693134862315807e308`},
		"309 digits":                {payload: `,"x":` + strings.Repeat("9", 308)},
		"underflow":                 {payload: `,"x":1e-400,"y":-4e-324`},
		"zero with a huge exponent": {payload: `,"x":0e999999999999999999999,"y":0.000e400`},
		"0.0001e312":                {payload: `,"x":0.0001e312`},
	})
}

// TestReadNumbersAreShort: the numbers the verifier converts are at most 32 characters
// (strconv.ParseFloat takes microseconds over a long one near a rounding midpoint).
func TestReadNumbersAreShort(t *testing.T) {
	f := newFixture(t, nil)
	for _, tc := range []struct {
		exp  string
		want error
	}{
		{"1800000060.0000000000000000000001", clerkauth.ErrTokenMalformed}, // 33 characters
		{"1800000060.000000000000000000001", nil},                          // 32
		{"18000000600000000000000000000001e-22", clerkauth.ErrTokenMalformed},
	} {
		p := strings.Replace(f.validPayload(""), `"exp":1800000060`, `"exp":`+tc.exp, 1)
		_, err := f.verify(t, f.rawToken(f.header(""), p))
		if tc.want == nil {
			require.NoError(t, err, tc.exp)
		} else {
			require.ErrorIs(t, err, tc.want, tc.exp)
		}
	}
}

// TestNonASCIIKeyBudget: member names hold at most 32 non-ASCII characters in all (each
// costs tens of nanoseconds to fold).
func TestNonASCIIKeyBudget(t *testing.T) {
	checkPayloadCases(t, map[string]payloadCase{
		"32":               {payload: `,"` + strings.Repeat("é", 16) + `":1,"a":{"` + strings.Repeat("ü", 16) + `":1}`},
		"33":               {payload: `,"` + strings.Repeat("é", 16) + `":1,"a":{"` + strings.Repeat("ü", 17) + `":1}`, want: clerkauth.ErrTokenMalformed},
		"in values, any":   {payload: `,"a":"` + strings.Repeat("é", 1000) + `"`},
		"ASCII keys, long": {payload: `,"` + strings.Repeat("K", 3000) + `":1`},
	})
}

// TestOrgPermissionsDecodeAfterVerification: v1's org_permissions, checked before the
// signature and decoded after, arrive whole.
func TestOrgPermissionsDecodeAfterVerification(t *testing.T) {
	f := newFixture(t, nil)
	for _, tc := range []struct {
		perms string
		want  []string
	}{
		{`["org:posts:read","org\u003aposts\u003awrite","org:\ud83d\ude00:x"]`, []string{"org:posts:read", "org:posts:write", "org:😀:x"}},
		{`[ "org:a:b" , "org:c:d" ]`, []string{"org:a:b", "org:c:d"}},
		{`[]`, nil},
		{`null`, nil},
	} {
		p := strings.Replace(f.validPayload(`,"org_id":"org_1","org_role":"admin","org_permissions":`+tc.perms), `"v":2`, `"v":1`, 1)
		s, err := f.verify(t, f.rawToken(f.header(""), p))
		require.NoError(t, err, tc.perms)
		require.Equal(t, tc.want, s.Org.Permissions, tc.perms)
	}
}

// TestClaimsSeesWhatSessionSees: for payloads the verifier accepts, a struct with fields
// for the claims (and folding variants of their names as custom claims elsewhere)
// decodes through Claims[T] to the values of the Session.
func TestClaimsSeesWhatSessionSees(t *testing.T) {
	type org struct {
		ID  string `json:"id"`
		Rol string `json:"rol"`
	}
	type actor struct {
		Sub string `json:"sub"`
	}
	type payload struct {
		Sub  string         `json:"sub"`
		Sid  string         `json:"sid"`
		Sts  string         `json:"sts"`
		O    *org           `json:"o"`
		Act  *actor         `json:"act"`
		Kind string         `json:"kind"`
		Meta map[string]any `json:"meta"`
	}
	f := newFixture(t, func(c *clerkauth.Config) { c.AllowPending = true })
	p := f.validPayload(`,"sts":"pending","o":{"id":"org_1","rol":"admin","ID2":"x"},"act":{"sub":"user_admin"},` +
		`"` + "\u212a" + `ind":"custom","meta":{"STS":"x","x":{"a":1}}`)
	s, err := f.verify(t, f.rawToken(f.header(""), p))
	require.NoError(t, err)
	c, err := clerkauth.Claims[payload](s)
	require.NoError(t, err)
	require.Equal(t, s.UserID, c.Sub)
	require.Equal(t, s.SessionID, c.Sid)
	require.Equal(t, s.Status, c.Sts)
	require.Equal(t, s.Org.ID, c.O.ID)
	require.Equal(t, s.Actor.Subject, c.Act.Sub)
	require.Equal(t, "custom", c.Kind)
	require.Len(t, c.Meta, 2)
}
