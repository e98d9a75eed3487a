package audit

import (
	"log/slog"
	"strings"
	"unicode/utf8"
)

// Redacted replaces the value of redacted attributes.
const Redacted = "[REDACTED]"

// Secret is a string that never shows its value: in slog output (it is a
// slog.LogValuer), through fmt (%v, %s, %q, %#v) and in JSON or text
// encodings it reads [Redacted]. Use it for any sensitive value a handler
// puts in an audit attribute:
//
//	audit.AddAttrs(ctx, slog.Any("app.invite_code", audit.Secret(code)))
type Secret string

// LogValue implements slog.LogValuer.
func (Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }

// String implements fmt.Stringer.
func (Secret) String() string { return Redacted }

// GoString implements fmt.GoStringer, for %#v.
func (Secret) GoString() string { return `audit.Secret("` + Redacted + `")` }

// MarshalText implements encoding.TextMarshaler, which encoding/json also
// uses.
func (Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// Redact returns a slog value that shows [Redacted] in place of v, or the
// empty string when v is empty (so an absent value stays visibly absent).
//
//	audit.AddAttrs(ctx, slog.Attr{Key: "app.webhook_secret", Value: audit.Redact(s)})
func Redact(v string) slog.Value {
	if v == "" {
		return slog.StringValue("")
	}
	return slog.StringValue(Redacted)
}

// Mask returns a slog value that shows only the last keep characters of v,
// after "****": Mask("4242424242424242", 4) is "****4242". It never reveals
// more than a quarter of v, nor more than 8 characters; when nothing may be
// revealed it is [Redacted]. The prefix has a fixed length, so the length of
// v is not revealed either. Use it for identifiers people need to tell apart
// (card numbers, phone numbers, key ids), never for secrets.
func Mask(v string, keep int) slog.Value {
	if v == "" {
		return slog.StringValue("")
	}
	n := utf8.RuneCountInString(v)
	keep = min(keep, n/4, 8)
	if keep <= 0 {
		return slog.StringValue(Redacted)
	}
	i := len(v)
	for range keep {
		_, size := utf8.DecodeLastRuneInString(v[:i])
		i -= size
	}
	return slog.StringValue("****" + v[i:])
}

// DefaultRedactedKeys returns the attribute keys redacted by default (see
// [Config.RedactedKeys]): credentials, cookies and tokens under their usual
// names. It returns a new slice on each call.
func DefaultRedactedKeys() []string {
	return []string{
		"authorization", "proxy-authorization", "cookie", "set-cookie",
		"password", "passwd", "secret", "client_secret", "private_key",
		"token", "access_token", "refresh_token", "id_token", "session_token",
		"__session", "__client", "jwt", "api_key", "apikey", "x-api-key",
	}
}

// redactAttrs returns attrs with the values of sensitive keys (see
// WithRedactedKeys) replaced by Redacted, at any group depth, and whether
// anything changed. It never modifies attrs or the groups inside it: it
// copies a slice only when something in it changes.
func redactAttrs(attrs []slog.Attr, keys []string) ([]slog.Attr, bool) {
	var out []slog.Attr // nil until the first change
	for i, a := range attrs {
		na, changed := redactAttr(a, keys)
		if changed && out == nil {
			out = make([]slog.Attr, len(attrs))
			copy(out, attrs)
		}
		if out != nil {
			out[i] = na
		}
	}
	if out == nil {
		return attrs, false
	}
	return out, true
}

func redactAttr(a slog.Attr, keys []string) (slog.Attr, bool) {
	if sensitiveKey(a.Key, keys) {
		return slog.String(a.Key, Redacted), true
	}
	v := a.Value
	if v.Kind() == slog.KindLogValuer {
		v = v.Resolve()
	}
	if v.Kind() != slog.KindGroup {
		return a, false
	}
	group, changed := redactAttrs(v.Group(), keys)
	if !changed {
		return a, false
	}
	return slog.Attr{Key: a.Key, Value: slog.GroupValue(group...)}, true
}

// sensitiveKey reports whether key equals one of keys (lowercase) or ends
// with "." and one of them, ignoring ASCII case.
func sensitiveKey(key string, keys []string) bool {
	k := lowerASCII(key)
	for _, s := range keys {
		if k == s || (len(k) > len(s) && k[len(k)-len(s)-1] == '.' && strings.HasSuffix(k, s)) {
			return true
		}
	}
	return false
}
