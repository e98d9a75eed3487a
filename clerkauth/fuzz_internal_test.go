package clerkauth

import (
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzScannerAgainstEncodingJSON checks the claim reader against encoding/json: whatever
// parseClaims accepts, encoding/json accepts too, the registered claims read the same,
// and a struct with a field for every claim read (and custom fields whose names the
// fuzzer can write in other cases or with folding runes) decodes, through Claims[T] too,
// to exactly the values the reader and the Session hold: one value per field, the one
// every reader sees. (The reader may refuse more: keys that fold alike, case variants of
// the claims it reads, escaped keys, invalid UTF-8, deep nesting, numbers beyond float64.)
func FuzzScannerAgainstEncodingJSON(f *testing.F) {
	for _, s := range []string{
		`{"iss":"https://clerk.example.com","sub":"user_1","sid":"sess_1","exp":1800000060,"iat":1.8e9,"nbf":1799999990.5,"v":2}`,
		`{"o":{"id":"org_1","slg":"a","rol":"admin","per":"read,write","fpm":"3"},"fea":"o:posts","fva":[0,-1]}`,
		`{"org_id":"org_1","org_permissions":["org:a:b"],"act":{"sub":"user_2","sid":"s","iss":"x"}}`,
		`{"x":"\u00e9\ud83d\ude00\n","y":[1,{"z":null}],"t":true,"f":false}`,
		`{"iss":null,"exp":null}`, `{}`, ` { } `, `{"a":-0.0e+1}`,
		`{"a":1,"a":2}`, `{"\u0069ss":"x"}`, `[]`, `{"a":"\ud800"}`, `{"a":01}`,
		// Issue 11 F1: keys that fold alike, lone case variants, numbers beyond float64.
		`{"sub":"user_1","ſub":"user_2"}`, `{"kind":"a","\u212aind":"b"}`, "{\"kind\":\"a\",\"\u212aind\":\"b\"}",
		`{"STS":"pending"}`, `{"ſts":"pending","sub":"u"}`, `{"ACT":{"sub":"user_admin"}}`, `{"act":{"SUB":"x"}}`,
		`{"o":{"ID":"org_2"},"v":2}`, `{"O":{"id":"org_2"}}`, `{"Kind":"x","EMAIL":"a@b","meta":{"Ss":1}}`,
		`{"exp":1e400}`, `{"x":[-1e400]}`, `{"x":1.7976931348623157e308,"y":1.797693134862315808e308}`,
		`{"meta":{"a":1,"A":2}}`, `{"ss":1,"ſS":2}`, `{"k":1,"\u212a":2}`, `{"email":"a","Email":"b"}`,
		`{"iss":"i","sub":"u","sid":"s","sts":"active","o":{"id":"o","rol":"admin"},"act":{"sub":"a"},"fva":[1,2],"v":1,"org_id":"x","org_permissions":null,"kind":{"k":[1]}}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		c, err := parseClaims(data)
		var std map[string]any
		stdErr := json.Unmarshal([]byte(data), &std)
		if err != nil {
			return
		}
		if stdErr != nil {
			t.Fatalf("accepted what encoding/json refuses (%v): %q", stdErr, data)
		}
		if !utf8.ValidString(data) {
			t.Fatalf("accepted invalid UTF-8: %q", data)
		}
		str := func(k string) string { s, _ := std[k].(string); return s }
		for k, got := range map[string]string{"iss": c.iss, "sub": c.sub, "sid": c.sid, "azp": c.azp, "sts": c.sts, "fea": c.fea, "pla": c.pla, "jti": c.jti} {
			if got != str(k) {
				t.Fatalf("%s: read %q, encoding/json %q in %q", k, got, str(k), data)
			}
		}
		for k, got := range map[string]float64{"exp": c.exp, "nbf": c.nbf, "iat": c.iat} {
			want, _ := std[k].(float64)
			if got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
				t.Fatalf("%s: read %v, encoding/json %v in %q", k, got, want, data)
			}
		}
		if o, ok := std["o"].(map[string]any); ok {
			if id, _ := o["id"].(string); id != c.o.id {
				t.Fatalf("o.id: read %q, encoding/json %q", c.o.id, id)
			}
		}
		checkStructAgrees(t, data, &c, std)
	})
}

// FuzzParseHeader: the header reader never panics and agrees with encoding/json on alg
// and kid.
func FuzzParseHeader(f *testing.F) {
	for _, s := range []string{`{"alg":"RS256","kid":"ins_1","typ":"JWT","cat":"cl_B7d4PD111AAA"}`, `{"alg":"none"}`,
		`{"alg":"RS256","alg":"none"}`, `{"crit":["exp"],"alg":"RS256"}`, `{"b64":false}`, `{"kid":1}`,
		`{"alg":"RS256","KID":"x"}`, `{"alg":"RS256","ſid":"x","sid":"y"}`, `{"alg":"RS256","x":1e400}`, `{"alg":"RS256","x":{"a":1,"A":1}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		h, err := parseHeader(data)
		if err != nil {
			return
		}
		var std map[string]any
		if err := json.Unmarshal([]byte(data), &std); err != nil {
			t.Fatalf("accepted what encoding/json refuses: %q", data)
		}
		if alg, _ := std["alg"].(string); alg != h.alg {
			t.Fatalf("alg %q vs %q", h.alg, alg)
		}
		if kid, _ := std["kid"].(string); kid != h.kid {
			t.Fatalf("kid %q vs %q", h.kid, kid)
		}
		if _, crit := std["crit"]; crit != h.crit {
			t.Fatalf("crit %v vs %v", h.crit, crit)
		}
	})
}

// FuzzSplitToken: the gate never panics, and whatever it lets through has exactly three
// non-empty segments without line breaks, within the size limit.
func FuzzSplitToken(f *testing.F) {
	for _, s := range []string{"a.b.c", "a.b", "a.b.c.d", "..", "a.b.c\n", strings.Repeat(".", 100), "eyJ.eyJ.sig", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		h, p, s, input, err := splitToken(tok, 4096)
		if err != nil {
			return
		}
		if len(tok) > 4096 || h == "" || p == "" || s == "" || strings.ContainsAny(tok, "\r\n") {
			t.Fatalf("gate let %q through", tok)
		}
		if h+"."+p+"."+s != tok || input != h+"."+p {
			t.Fatalf("segments do not rebuild %q", tok)
		}
	})
}

// fuzzOrg, fuzzActor and fuzzClaims are what a Claims[T] user could write: a field for
// every claim the verifier reads, and custom ones.
type fuzzOrg struct {
	ID  string `json:"id"`
	Slg string `json:"slg"`
	Rol string `json:"rol"`
	Per string `json:"per"`
	Fpm string `json:"fpm"`
	Sub any    `json:"sub"`
}

type fuzzActor struct {
	Iss string `json:"iss"`
	Sid string `json:"sid"`
	Sub string `json:"sub"`
	ID  any    `json:"id"`
}

type fuzzClaims struct {
	Iss            string     `json:"iss"`
	Sub            string     `json:"sub"`
	Sid            string     `json:"sid"`
	Azp            string     `json:"azp"`
	Jti            string     `json:"jti"`
	Sts            string     `json:"sts"`
	Pla            string     `json:"pla"`
	Fea            string     `json:"fea"`
	Exp            float64    `json:"exp"`
	Nbf            float64    `json:"nbf"`
	Iat            float64    `json:"iat"`
	V              float64    `json:"v"`
	OrgID          string     `json:"org_id"`
	OrgSlug        string     `json:"org_slug"`
	OrgRole        string     `json:"org_role"`
	OrgPermissions []string   `json:"org_permissions"`
	O              *fuzzOrg   `json:"o"`
	Act            *fuzzActor `json:"act"`
	Fva            []float64  `json:"fva"`
	// Custom claims, with names whose variants fold onto them ("ſ" is s, "\u212a" is k).
	Kind  any `json:"kind"`
	Email any `json:"email"`
	Ss    any `json:"ss"`
	K     any `json:"k"`
	Meta  any `json:"meta"`
	X     any `json:"x"`
}

// checkStructAgrees decodes data, which parseClaims read as c, into a fuzzClaims with
// encoding/json and through Claims[T]: every field must hold the reader's value, and the
// value of the one member (std, decoded into a map) whose key matches the field.
func checkStructAgrees(t *testing.T, data string, c *claims, std map[string]any) {
	t.Helper()
	var st fuzzClaims
	if err := json.Unmarshal([]byte(data), &st); err != nil {
		t.Fatalf("accepted what encoding/json cannot decode into a struct (%v): %q", err, data)
	}
	s := newSession(c, data, "kid")
	viaClaims, err := Claims[fuzzClaims](s)
	if err != nil || !reflect.DeepEqual(viaClaims, st) {
		t.Fatalf("Claims[T] %+v (%v), encoding/json %+v in %q", viaClaims, err, st, data)
	}
	for name, got := range map[string][2]string{
		"iss": {c.iss, st.Iss}, "sub": {c.sub, st.Sub}, "sid": {c.sid, st.Sid}, "azp": {c.azp, st.Azp},
		"jti": {c.jti, st.Jti}, "sts": {c.sts, st.Sts}, "pla": {c.pla, st.Pla}, "fea": {c.fea, st.Fea},
		"org_id": {c.orgID, st.OrgID}, "org_slug": {c.orgSlug, st.OrgSlug}, "org_role": {c.orgRole, st.OrgRole},
		"UserID": {s.UserID, st.Sub}, "SessionID": {s.SessionID, st.Sid}, "Issuer": {s.Issuer, st.Iss},
		"Plan": {s.Plan, st.Pla}, "Status": {s.Status, cmpOr(st.Sts, StatusActive)},
	} {
		if got[0] != got[1] {
			t.Fatalf("%s: read %q, the struct %q in %q", name, got[0], got[1], data)
		}
	}
	for name, got := range map[string][2]float64{"exp": {c.exp, st.Exp}, "nbf": {c.nbf, st.Nbf}, "iat": {c.iat, st.Iat}, "v": {float64(c.version), st.V}} {
		if got[0] != got[1] {
			t.Fatalf("%s: read %v, the struct %v in %q", name, got[0], got[1], data)
		}
	}
	if perms := decodeStrings(c.orgPerms); len(perms) != len(st.OrgPermissions) || len(perms) > 0 && !slices.Equal(perms, st.OrgPermissions) {
		t.Fatalf("org_permissions: read %q, the struct %q in %q", perms, st.OrgPermissions, data)
	}
	if (st.O != nil) != c.o.present || st.O != nil && (st.O.ID != c.o.id || st.O.Slg != c.o.slg || st.O.Rol != c.o.rol || st.O.Per != c.o.per || st.O.Fpm != c.o.fpm) {
		t.Fatalf("o: read %+v, the struct %+v in %q", c.o, st.O, data)
	}
	if (st.Act != nil) != (c.act != nil) || st.Act != nil && (st.Act.Iss != c.act.Issuer || st.Act.Sid != c.act.SessionID || st.Act.Sub != c.act.Subject) {
		t.Fatalf("act: read %+v, the struct %+v in %q", c.act, st.Act, data)
	}
	if !reflect.DeepEqual(s.Actor, c.act) {
		t.Fatalf("Session.Actor %+v, read %+v", s.Actor, c.act)
	}
	wantFva := FactorAge{First: -1, Second: -1}
	if st.Fva != nil {
		wantFva = FactorAge{First: int(st.Fva[0]), Second: int(st.Fva[1])}
	}
	if c.fva != wantFva || s.FactorVerificationAge != wantFva {
		t.Fatalf("fva: read %+v, the struct %v in %q", c.fva, st.Fva, data)
	}
	// Each field matched one member at most, under its exact name when the verifier reads
	// it; and the struct holds that member's value.
	checkFieldsMatchOneMember(t, data, reflect.ValueOf(st), std, claimNames)
	if o, ok := std["o"].(map[string]any); ok && st.O != nil {
		checkFieldsMatchOneMember(t, data, reflect.ValueOf(*st.O), o, oNames)
	}
	if a, ok := std["act"].(map[string]any); ok && st.Act != nil {
		checkFieldsMatchOneMember(t, data, reflect.ValueOf(*st.Act), a, actNames)
	}
}

// checkFieldsMatchOneMember checks the fields of struct v against the members of obj:
// at most one member's key folds like a field's name, it is the name itself when read
// (one of read), and an any field holds that member's value.
func checkFieldsMatchOneMember(t *testing.T, data string, v reflect.Value, obj map[string]any, read []string) {
	t.Helper()
	for i := 0; i < v.NumField(); i++ {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		var keys []string
		for k := range obj {
			if strings.EqualFold(k, name) {
				keys = append(keys, k)
			}
		}
		switch {
		case len(keys) > 1:
			t.Fatalf("members %q all match field %q in %q", keys, name, data)
		case len(keys) == 1 && keys[0] != name && slices.Contains(read, name):
			t.Fatalf("member %q matches the read field %q in %q", keys[0], name, data)
		case len(keys) == 1 && v.Field(i).Kind() == reflect.Interface && !reflect.DeepEqual(v.Field(i).Interface(), obj[keys[0]]):
			t.Fatalf("field %q holds %v, member %q is %v in %q", name, v.Field(i).Interface(), keys[0], obj[keys[0]], data)
		}
	}
}

func cmpOr(s, or string) string {
	if s == "" {
		return or
	}
	return s
}

// FuzzKeyFolding checks the key comparison against encoding/json's (bytes.EqualFold, which
// its foldName matches): two keys fold alike exactly when EqualFold says so, and then they
// hash alike.
func FuzzKeyFolding(f *testing.F) {
	for _, p := range [][2]string{{"sub", "ſub"}, {"kind", "\u212aind"}, {"STS", "sts"}, {"ß", "ẞ"}, {"İd", "id"},
		{"σ", "ς"}, {"org_permissions", "ORG_PERMISSIONS"}, {strings.Repeat("K", 130), strings.Repeat("k", 130)}, {"a", "a\x00"}} {
		f.Add(p[0], p[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if !utf8.ValidString(a) || !utf8.ValidString(b) || strings.IndexByte(a+b, 0) >= 0 {
			return // keys are valid UTF-8 without control characters (NUL included)
		}
		want := strings.EqualFold(a, b)
		if got := foldEqual(a, b); got != want {
			t.Fatalf("foldEqual(%q, %q) = %v, EqualFold %v", a, b, got, want)
		}
		s := newScanner("")
		ha, errA := s.hashKey(a, nil)
		s.folded = 0
		hb, errB := s.hashKey(b, nil)
		if errA == nil && errB == nil && want && ha != hb {
			t.Fatalf("%q and %q fold alike but hash apart", a, b)
		}
		// A key folding like a read name (short lower-case ASCII) without being it is
		// refused; the name itself is not.
		_, err := s.hashKey(a, []string{b})
		if s.folded = 0; err == errCaseVariant && (!want || a == b) {
			t.Fatalf("%q refused as a variant of %q", a, b)
		}
		name := b != "" && len(b) <= maxKnownName && strings.ToLower(b) == b && utf8.RuneCountInString(b) == len(b)
		if name && want && a != b && err == nil {
			t.Fatalf("%q not refused as a variant of %q", a, b)
		}
	})
}

// FuzzFloat64Range: inFloat64Range agrees with strconv.ParseFloat on every number of the
// JSON grammar.
func FuzzFloat64Range(f *testing.F) {
	for _, n := range []string{"0", "-0", "1e400", "-1e400", "1.7976931348623157e308", "1.797693134862315808e308",
		"1.797693134862315807e308", float64Threshold, float64Threshold[:308] + "1", "0.000" + float64Threshold + "e312",
		"1e-400", "0e99999", "123.456e-7", float64Threshold[:200] + "e109", "9" + strings.Repeat("0", 308)} {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, n string) {
		s := newScanner(n)
		raw, err := s.rawNumber()
		if err == errJSON || s.pos != len(n) {
			return // not a number, or not only one
		}
		lit := strings.TrimLeft(n, " \t\r\n") // rawNumber skips leading whitespace
		_, perr := strconv.ParseFloat(lit, 64)
		if (err == nil) != (perr == nil) {
			t.Fatalf("%q: the reader says %v, ParseFloat %v", n, err, perr)
		}
		if err == nil && raw != lit {
			t.Fatalf("%q read as %q", n, raw)
		}
	})
}
