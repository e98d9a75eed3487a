package clerkauth

import (
	"testing"
)

// benchPayload is the payload of bench_test.go's token: a v2 session with an active
// organization, features, a plan and an authorized party.
const (
	benchHeader  = `{"alg":"RS256","cat":"cl_B7d4PD111AAA","kid":"ins_2abcdefghijklmnopqrstuvwxyz","typ":"JWT"}`
	benchPayload = `{"azp":"https://app.example.com","exp":1800000060,"fea":"o:posts,o:billing","fva":[0,-1],"iat":1800000000,` +
		`"iss":"https://clerk.example.com","jti":"8f4a1c2b3d5e6f708192","nbf":1799999990,` +
		`"o":{"fpm":"3,1","id":"org_2abcdefghijklmnopqrstuvwxyz","per":"read,write,manage","rol":"admin","slg":"acme"},` +
		`"pla":"o:pro","sid":"sess_2abcdefghijklmnopqrstuvwxyz","sts":"active","sub":"user_2abcdefghijklmnopqrstuvwxyz","v":2}`
)

// BenchmarkParseToken measures the reader alone on a normal token's header and payload:
// the part of Verify this package's JSON reader costs.
func BenchmarkParseToken(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseHeader(benchHeader); err != nil {
			b.Fatal(err)
		}
		if _, err := parseClaims(benchPayload); err != nil {
			b.Fatal(err)
		}
	}
}
