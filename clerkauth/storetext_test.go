package clerkauth_test

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth"
)

func TestStoreTextNormalisation(t *testing.T) {
	for in, want := range map[string]string{
		"Ada":          "Ada",
		"":             "",
		"a\x00b":       "a\uFFFDb",
		"a\xffb":       "a\uFFFDb",
		"é\x00\xc3":    "é\uFFFD\uFFFD",
		"日本語":          "日本語",
		"\x00\x00\xfe": "\uFFFD\uFFFD\uFFFD",
	} {
		got := clerkauth.NormalizeText(in)
		require.Equal(t, want, got, "%q", in)
		require.True(t, utf8.ValidString(got))
	}
	meta := json.RawMessage(`{"a":"\u0000","b":"x"}`)
	require.Equal(t, meta, clerkauth.NormalizeJSON(meta), "JSON escapes are kept")
	require.Equal(t, json.RawMessage("{\"a\":\"x\uFFFD\"}"), clerkauth.NormalizeJSON(json.RawMessage("{\"a\":\"x\xff\"}")))
	require.Nil(t, clerkauth.NormalizeJSON(nil))

	require.True(t, clerkauth.ValidID("user_2abc"))
	for _, bad := range []string{"", "user_\x00", "user_\xff"} {
		require.False(t, clerkauth.ValidID(bad), "%q", bad)
	}
}
