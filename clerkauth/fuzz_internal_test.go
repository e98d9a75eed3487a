package clerkauth

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzScannerAgainstEncodingJSON checks the claim reader against encoding/json: whatever
// parseClaims accepts, encoding/json accepts too, and the registered claims read the same.
// (The reader may refuse more: duplicates, escaped keys, invalid UTF-8, deep nesting.)
func FuzzScannerAgainstEncodingJSON(f *testing.F) {
	for _, s := range []string{
		`{"iss":"https://clerk.example.com","sub":"user_1","sid":"sess_1","exp":1800000060,"iat":1.8e9,"nbf":1799999990.5,"v":2}`,
		`{"o":{"id":"org_1","slg":"a","rol":"admin","per":"read,write","fpm":"3"},"fea":"o:posts","fva":[0,-1]}`,
		`{"org_id":"org_1","org_permissions":["org:a:b"],"act":{"sub":"user_2","sid":"s","iss":"x"}}`,
		`{"x":"\u00e9\ud83d\ude00\n","y":[1,{"z":null}],"t":true,"f":false}`,
		`{"iss":null,"exp":null}`, `{}`, ` { } `, `{"a":-0.0e+1}`,
		`{"a":1,"a":2}`, `{"\u0069ss":"x"}`, `[]`, `{"a":"\ud800"}`, `{"a":01}`,
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
	})
}

// FuzzParseHeader: the header reader never panics and agrees with encoding/json on alg
// and kid.
func FuzzParseHeader(f *testing.F) {
	for _, s := range []string{`{"alg":"RS256","kid":"ins_1","typ":"JWT","cat":"cl_B7d4PD111AAA"}`, `{"alg":"none"}`,
		`{"alg":"RS256","alg":"none"}`, `{"crit":["exp"],"alg":"RS256"}`, `{"b64":false}`, `{"kid":1}`} {
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
