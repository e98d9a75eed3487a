package audit_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/audit"
	"github.com/unioneyes/authkit/audit/audittest"
)

// recordFields runs a request with the given path and User-Agent (set
// directly, as net/http can deliver up to its header limit, about 1 MiB)
// and returns the recorded Path and UserAgent.
func recordFields(t testing.TB, path, ua string) (gotPath, gotUA string) {
	t.Helper()
	req := httptest.NewRequest("GET", "/", nil)
	req.URL.Path = path
	if ua != "" {
		req.Header["User-Agent"] = []string{ua}
	}
	var rec audittest.Recorder
	middleware(t, &rec)(http.NotFoundHandler()).ServeHTTP(httptest.NewRecorder(), req)
	recs := rec.Records()
	require.Len(t, recs, 1)
	return recs[0].Path, recs[0].UserAgent
}

// A client controls the path and the User-Agent: each is bounded, so that
// requests cannot make audit records of megabytes. A value over its bound
// is cut at a UTF-8 boundary and marked with "…", the
// whole staying within the bound.
func TestRequestFieldsBounded(t *testing.T) {
	const suf = audit.TruncatedSuffix
	for _, tc := range []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"at the bound", strings.Repeat("a", 10), 10, strings.Repeat("a", 10)},
		{"one byte over", strings.Repeat("a", 11), 10, strings.Repeat("a", 10-len(suf)) + suf},
		{"far over", strings.Repeat("a", 1<<20), 10, strings.Repeat("a", 10-len(suf)) + suf},
		// "é" is 2 bytes: 7 bytes of room hold 3 of them and half of a fourth.
		{"two-byte characters", strings.Repeat("é", 20), 10, strings.Repeat("é", 3) + suf},
		// "🚀" is 4 bytes: 7 bytes of room hold one and 3 bytes of the next.
		{"four-byte characters", strings.Repeat("🚀", 5), 10, "🚀" + suf},
		{"a character ending at the cut", "abc" + strings.Repeat("é", 10), 10, "abcéé" + suf},
		// No character starts within 3 bytes before the cut: no boundary to
		// keep, the room is filled.
		{"invalid UTF-8", strings.Repeat("\x80", 20), 10, strings.Repeat("\x80", 7) + suf},
		{"invalid UTF-8 then a character", "abcd" + strings.Repeat("\x80", 2) + "é" + strings.Repeat("\x80", 10), 10, "abcd\x80\x80" + suf},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, audit.TruncateForTest(tc.in, tc.max), "truncate(%.20q…, %d)", tc.in, tc.max)
		})
	}
}

func TestMiddlewareBoundsPathAndUserAgent(t *testing.T) {
	for _, tc := range []struct {
		name               string
		path, ua           string
		wantPath, wantUA   string
		pathTrunc, uaTrunc bool
	}{
		{name: "short", path: "/orgs/org_1", ua: "curl/8.0", wantPath: "/orgs/org_1", wantUA: "curl/8.0"},
		{
			name: "at the bounds", path: "/" + strings.Repeat("p", audit.MaxPathBytes-1), ua: strings.Repeat("u", audit.MaxUserAgentBytes),
			wantPath: "/" + strings.Repeat("p", audit.MaxPathBytes-1), wantUA: strings.Repeat("u", audit.MaxUserAgentBytes),
		},
		{
			name: "1 MiB each", path: "/" + strings.Repeat("p", 1<<20), ua: strings.Repeat("u", 1<<20),
			wantPath: "/" + strings.Repeat("p", audit.MaxPathBytes-1-len(audit.TruncatedSuffix)) + audit.TruncatedSuffix,
			wantUA:   strings.Repeat("u", audit.MaxUserAgentBytes-len(audit.TruncatedSuffix)) + audit.TruncatedSuffix,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gotPath, gotUA := recordFields(t, tc.path, tc.ua)
			assert.True(t, gotPath == tc.wantPath, "Path = %.40q… (%d bytes), want %.40q… (%d bytes)", gotPath, len(gotPath), tc.wantPath, len(tc.wantPath))
			assert.True(t, gotUA == tc.wantUA, "UserAgent = %.40q… (%d bytes), want %.40q… (%d bytes)", gotUA, len(gotUA), tc.wantUA, len(tc.wantUA))
		})
	}
}

// What the JSON sink writes stays small however large the request's path
// and User-Agent.
func TestJSONRecordBounded(t *testing.T) {
	var buf bytes.Buffer
	req := httptest.NewRequest("GET", "/", nil)
	req.URL.Path = "/" + strings.Repeat("ü", 1<<19)
	req.Header.Set("User-Agent", strings.Repeat("Mozilla/5.0 ", 1<<16))
	middleware(t, audit.JSONSink(&buf))(http.NotFoundHandler()).ServeHTTP(httptest.NewRecorder(), req)
	assert.LessOrEqual(t, buf.Len(), audit.MaxPathBytes+audit.MaxUserAgentBytes+1024, "the JSON record's size")
	assert.True(t, utf8.Valid(buf.Bytes()), "the JSON record is not valid UTF-8")
	assert.True(t, strings.Contains(buf.String(), audit.TruncatedSuffix+`","`), "no truncation mark in %.300s…", buf.String())
}

// Whatever the path and User-Agent, the recorded ones are within their
// bounds; a value within its bound is kept as it is; a longer one is a
// prefix of it followed by TruncatedSuffix, cut no more than 3 bytes before
// the room left, and valid UTF-8 when the value was.
func FuzzRequestFieldBounds(f *testing.F) {
	// Each value is padded in front with ASCII, so that small inputs reach
	// the bounds and their own bytes fall where the cut is.
	f.Add("/orgs/org_1/invoices", "Mozilla/5.0 (X11; Linux x86_64)", 0, 0)
	f.Add("ééééé", "🚀🚀🚀", pathSeedPad, uaSeedPad)
	f.Add("\x80\x80\x80\x80\x80", "\xff\xfe\xfd\xfc", pathSeedPad, uaSeedPad)
	f.Add("", "", 5000, 5000)
	f.Add("/a\x00b", "ua\x00", pathSeedPad, uaSeedPad)
	f.Add("xé", "yé", audit.MaxPathBytes-3, audit.MaxUserAgentBytes-3)
	f.Fuzz(func(t *testing.T, path, ua string, padPath, padUA int) {
		path = strings.Repeat("p", max(0, min(padPath, 8192))) + path
		ua = strings.Repeat("u", max(0, min(padUA, 8192))) + ua
		gotPath, gotUA := recordFields(t, path, ua)
		checkBounded(t, "Path", path, gotPath, audit.MaxPathBytes)
		checkBounded(t, "UserAgent", ua, gotUA, audit.MaxUserAgentBytes)
	})
}

// Paddings that put a seed's last bytes around the cut.
const (
	pathSeedPad = audit.MaxPathBytes - len(audit.TruncatedSuffix) - 4
	uaSeedPad   = audit.MaxUserAgentBytes - len(audit.TruncatedSuffix) - 4
)

func checkBounded(t *testing.T, field, in, got string, max int) {
	t.Helper()
	if len(in) <= max {
		require.Equal(t, in, got, "%s within its bound", field)
		return
	}
	kept, ok := strings.CutSuffix(got, audit.TruncatedSuffix)
	require.LessOrEqual(t, len(got), max, "%s of %d bytes recorded over its bound", field, len(in))
	require.True(t, ok && strings.HasPrefix(in, kept), "%s recorded as %q, want a prefix of %q followed by %q", field, got, in, audit.TruncatedSuffix)
	require.GreaterOrEqual(t, len(kept), max-len(audit.TruncatedSuffix)-(utf8.UTFMax-1), "%s cut more than 3 bytes short of %d", field, max-len(audit.TruncatedSuffix))
	if utf8.ValidString(in) {
		require.True(t, utf8.ValidString(got), "%s: valid UTF-8 %q recorded as invalid %q", field, in, got)
	}
}
