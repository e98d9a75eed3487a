package audit_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/audit"
)

func TestSecretNeverShows(t *testing.T) {
	const v = "sk_live_supersecret"
	s := audit.Secret(v)
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "s", s)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "s", s)
	j, err := json.Marshal(map[string]any{"s": s})
	require.NoError(t, err)
	outputs := []string{
		buf.String(), string(j),
		fmt.Sprint(s), fmt.Sprintf("%v %s %q %x %#v %+v", s, s, s, s, s, s),
		fmt.Sprintf("%v", struct{ S audit.Secret }{s}),
	}
	for _, out := range outputs {
		assert.NotContains(t, out, v)
		assert.True(t, strings.Contains(out, audit.Redacted) || strings.Contains(out, fmt.Sprintf("%x", audit.Redacted)), "output %q lacks %s", out, audit.Redacted)
	}
}

func TestRedact(t *testing.T) {
	assert.Equal(t, audit.Redacted, audit.Redact("hunter2").String())
	assert.Empty(t, audit.Redact("").String())
}

func TestMask(t *testing.T) {
	for _, tc := range []struct {
		in   string
		keep int
		want string
	}{
		{"4242424242424242", 4, "****4242"},
		{strings.Repeat("42", 20), 100, "****42424242"}, // capped at 8
		{"4242424242424242", 100, "****4242"},           // and at a quarter
		{"12345678", 4, "****78"},                       // at most a quarter
		{"abc", 4, audit.Redacted},                      // nothing may be shown
		{"", 4, ""},
		{"x", 0, audit.Redacted},
		{"ééééééééé", 2, "****éé"}, // runes, not bytes
		{"secret", -1, audit.Redacted},
	} {
		assert.Equal(t, tc.want, audit.Mask(tc.in, tc.keep).String(), "Mask(%q, %d)", tc.in, tc.keep)
	}
}

func TestDefaultRedactedKeysIsACopy(t *testing.T) {
	a := audit.DefaultRedactedKeys()
	a[0] = "changed"
	assert.NotEqual(t, "changed", audit.DefaultRedactedKeys()[0], "DefaultRedactedKeys returns shared state")
}
