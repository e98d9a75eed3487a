package audit_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/unioneyes/authkit/audit"
)

func TestSecretNeverShows(t *testing.T) {
	const v = "sk_live_supersecret"
	s := audit.Secret(v)
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "s", s)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "s", s)
	j, err := json.Marshal(map[string]any{"s": s})
	if err != nil {
		t.Fatal(err)
	}
	outputs := []string{
		buf.String(), string(j),
		fmt.Sprint(s), fmt.Sprintf("%v %s %q %x %#v %+v", s, s, s, s, s, s),
		fmt.Sprintf("%v", struct{ S audit.Secret }{s}),
	}
	for _, out := range outputs {
		if strings.Contains(out, v) || !strings.Contains(out, audit.Redacted) && !strings.Contains(out, fmt.Sprintf("%x", audit.Redacted)) {
			t.Errorf("output %q shows the secret or lacks %s", out, audit.Redacted)
		}
	}
}

func TestRedact(t *testing.T) {
	if got := audit.Redact("hunter2").String(); got != audit.Redacted {
		t.Errorf("Redact = %q", got)
	}
	if got := audit.Redact("").String(); got != "" {
		t.Errorf("Redact(\"\") = %q, want empty", got)
	}
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
		if got := audit.Mask(tc.in, tc.keep).String(); got != tc.want {
			t.Errorf("Mask(%q, %d) = %q, want %q", tc.in, tc.keep, got, tc.want)
		}
	}
}

func TestDefaultRedactedKeysIsACopy(t *testing.T) {
	a := audit.DefaultRedactedKeys()
	a[0] = "changed"
	if audit.DefaultRedactedKeys()[0] == "changed" {
		t.Error("DefaultRedactedKeys returns shared state")
	}
}
