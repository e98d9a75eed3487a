package store_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth/store"
)

// Text: each NUL byte and each invalid UTF-8 sequence becomes U+FFFD; valid text is kept.
func TestCleanText(t *testing.T) {
	for in, want := range map[string]string{
		"Ada":          "Ada",
		"":             "",
		"a\x00b":       "a\uFFFDb",
		"a\xffb":       "a\uFFFDb",
		"é\x00\xc3":    "é\uFFFD\uFFFD",
		"日本語":          "日本語",
		"\x00\x00\xfe": "\uFFFD\uFFFD\uFFFD",
		"Zoë \uFFFD":   "Zoë \uFFFD",
	} {
		u, err := store.User{ID: "user_1", Email: in, FirstName: in, LastName: in, Username: in, ImageURL: in}.Clean()
		require.NoError(t, err, "%q", in)
		for _, got := range []string{u.Email, u.FirstName, u.LastName, u.Username, u.ImageURL} {
			require.Equal(t, want, got, "%q", in)
			require.True(t, utf8.ValidString(got))
		}
		o, err := store.Organization{ID: "org_1", Name: in, Slug: in, ImageURL: in}.Clean()
		require.NoError(t, err, "%q", in)
		for _, got := range []string{o.Name, o.Slug, o.ImageURL} {
			require.Equal(t, want, got, "%q", in)
		}
		m, err := store.Membership{ID: in, OrgID: "org_1", UserID: "user_1", Role: in, Permissions: []string{in, "org:a:b"}}.Clean()
		require.NoError(t, err, "%q", in)
		require.Equal(t, want, m.ID, "%q", in)
		require.Equal(t, want, m.Role, "%q", in)
		require.Equal(t, []string{want, "org:a:b"}, m.Permissions, "%q", in)
	}
}

// Metadata: invalid UTF-8 becomes U+FFFD, JSON escapes are kept, nil stays nil, and
// anything but valid JSON is refused.
func TestCleanMetadata(t *testing.T) {
	for in, want := range map[string]json.RawMessage{
		`{"a":"\u0000","b":"x"}`: json.RawMessage(`{"a":"\u0000","b":"x"}`),
		"{\"a\":\"x\xff\"}":      json.RawMessage("{\"a\":\"x\uFFFD\"}"),
		`null`:                   json.RawMessage(`null`),
		`[1, 2]`:                 json.RawMessage(`[1, 2]`),
	} {
		u, err := store.User{ID: "user_1", PublicMetadata: json.RawMessage(in)}.Clean()
		require.NoError(t, err, "%q", in)
		require.Equal(t, want, u.PublicMetadata, "%q", in)
		o, err := store.Organization{ID: "org_1", PublicMetadata: json.RawMessage(in)}.Clean()
		require.NoError(t, err, "%q", in)
		require.Equal(t, want, o.PublicMetadata, "%q", in)
	}
	u, err := store.User{ID: "user_1"}.Clean()
	require.NoError(t, err)
	require.Nil(t, u.PublicMetadata, "nil stays nil")
	u, err = store.User{ID: "user_1", PublicMetadata: json.RawMessage{}}.Clean()
	require.NoError(t, err)
	require.NotNil(t, u.PublicMetadata, "empty stays empty")
	require.Empty(t, u.PublicMetadata)
}

// Every refusal wraps ErrInvalid and returns the zero record.
func TestCleanRefuses(t *testing.T) {
	for name, tc := range map[string]struct {
		clean func() (any, error)
		want  string
	}{
		"user without id":         {func() (any, error) { return store.User{Email: "a@example.com"}.Clean() }, "store: invalid record: empty user id"},
		"user id with NUL":        {func() (any, error) { return store.User{ID: "user_\x00"}.Clean() }, `store: invalid record: user id "user_\x00" is not valid UTF-8 without NUL`},
		"user id not UTF-8":       {func() (any, error) { return store.User{ID: "user_\xff"}.Clean() }, `store: invalid record: user id "user_\xff" is not valid UTF-8 without NUL`},
		"user metadata not JSON":  {func() (any, error) { return store.User{ID: "user_1", PublicMetadata: json.RawMessage(`{"a":`)}.Clean() }, "store: invalid record: public metadata is not valid JSON"},
		"organization without id": {func() (any, error) { return store.Organization{Name: "Acme"}.Clean() }, "store: invalid record: empty organization id"},
		"organization id with NUL": {func() (any, error) { return store.Organization{ID: "\x00"}.Clean() },
			`store: invalid record: organization id "\x00" is not valid UTF-8 without NUL`},
		"organization metadata not JSON": {func() (any, error) {
			return store.Organization{ID: "org_1", PublicMetadata: json.RawMessage(`nope`)}.Clean()
		},
			"store: invalid record: public metadata is not valid JSON"},
		"membership without org":  {func() (any, error) { return store.Membership{UserID: "user_1"}.Clean() }, "store: invalid record: empty organization id"},
		"membership without user": {func() (any, error) { return store.Membership{OrgID: "org_1"}.Clean() }, "store: invalid record: empty user id"},
		"membership org not UTF-8": {func() (any, error) { return store.Membership{OrgID: "org_\xc3", UserID: "user_1"}.Clean() },
			`store: invalid record: organization id "org_\xc3" is not valid UTF-8 without NUL`},
		"membership user with NUL": {func() (any, error) { return store.Membership{OrgID: "org_1", UserID: "user_1\x00"}.Clean() },
			`store: invalid record: user id "user_1\x00" is not valid UTF-8 without NUL`},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := tc.clean()
			require.ErrorIs(t, err, store.ErrInvalid)
			assert.EqualError(t, err, tc.want)
			switch r := got.(type) {
			case store.User:
				assert.Zero(t, r)
			case store.Organization:
				assert.Zero(t, r)
			case store.Membership:
				assert.Zero(t, r)
			default:
				t.Fatalf("Clean returned a %T", got)
			}
		})
	}
}

// Clean's result shares no memory with the record it cleaned, and the record is not
// changed; times lose their monotonic reading only.
func TestCleanCopies(t *testing.T) {
	now := time.Now() // carries a monotonic reading
	meta := json.RawMessage(`{"plan":"pro"}`)
	in := store.User{ID: "user_1", Email: "a\x00", PublicMetadata: meta, CreatedAt: now, UpdatedAt: now, DeletedAt: now}
	u, err := in.Clean()
	require.NoError(t, err)
	u.PublicMetadata[2] = 'X'
	assert.Equal(t, `{"plan":"pro"}`, string(meta), "the caller's metadata is not shared")
	assert.Equal(t, "a\x00", in.Email, "the receiver is a copy")
	for _, tm := range []time.Time{u.CreatedAt, u.UpdatedAt, u.DeletedAt} {
		assert.True(t, tm.Equal(now))
		assert.Equal(t, now.Round(0), tm, "without the monotonic reading")
	}

	perms := []string{"org:posts:read", "org:posts:write"}
	m, err := store.Membership{OrgID: "org_1", UserID: "user_1", Permissions: perms, UpdatedAt: now}.Clean()
	require.NoError(t, err)
	m.Permissions[0] = "changed"
	assert.Equal(t, []string{"org:posts:read", "org:posts:write"}, perms, "the caller's permissions are not shared")
	assert.Equal(t, now.Round(0), m.UpdatedAt)
	m, err = store.Membership{OrgID: "org_1", UserID: "user_1"}.Clean()
	require.NoError(t, err)
	assert.Nil(t, m.Permissions, "nil permissions stay nil")

	o, err := store.Organization{ID: "org_1", PublicMetadata: meta}.Clean()
	require.NoError(t, err)
	o.PublicMetadata[2] = 'Y'
	assert.Equal(t, `{"plan":"pro"}`, string(meta))
}

func TestCleanID(t *testing.T) {
	for _, ok := range []string{"user_2abc", "sess_1", "é", "\uFFFD", " "} {
		assert.NoError(t, store.CleanID("user", ok), "%q", ok)
	}
	for bad, want := range map[string]string{
		"":             "store: invalid record: empty session id",
		"sess_\x00":    `store: invalid record: session id "sess_\x00" is not valid UTF-8 without NUL`,
		"sess_\xff":    `store: invalid record: session id "sess_\xff" is not valid UTF-8 without NUL`,
		"\xed\xa0\x80": `store: invalid record: session id "\xed\xa0\x80" is not valid UTF-8 without NUL`,
	} {
		err := store.CleanID("session", bad)
		require.ErrorIs(t, err, store.ErrInvalid, "%q", bad)
		assert.EqualError(t, err, want)
	}
}

// Whatever the text, Clean returns valid UTF-8 without NUL, and text that was already
// so unchanged; it refuses an id exactly when CleanID does.
func FuzzClean(f *testing.F) {
	for _, s := range []string{"", "Ada", "a\x00b", "\xff\xfe", "é\x00\xc3", "\xed\xa0\x80 x", "Zoë \uFFFD"} {
		f.Add(s, "user_"+s, []byte(`{"k":"`+s+`"}`))
	}
	f.Fuzz(func(t *testing.T, text, id string, meta []byte) {
		u, err := store.User{ID: id, Email: text, FirstName: text, PublicMetadata: meta}.Clean()
		idErr := store.CleanID("user", id)
		if idErr != nil {
			if err == nil || err.Error() != idErr.Error() {
				t.Fatalf("Clean of id %q: error %v, CleanID's %v", id, err, idErr)
			}
			return
		}
		if len(meta) > 0 && !json.Valid(meta) {
			if err == nil {
				t.Fatalf("Clean accepted metadata %q, not JSON", meta)
			}
			return
		}
		if err != nil {
			t.Fatalf("Clean(%q, %q, %q): %v", id, text, meta, err)
		}
		for _, got := range []string{u.Email, u.FirstName} {
			if !utf8.ValidString(got) || strings.IndexByte(got, 0) >= 0 {
				t.Fatalf("Clean(%q) = %q: not valid UTF-8 without NUL", text, got)
			}
			if utf8.ValidString(text) && strings.IndexByte(text, 0) < 0 && got != text {
				t.Fatalf("Clean(%q) = %q: valid text changed", text, got)
			}
			if utf8.RuneCountInString(got) > len(text) {
				t.Fatalf("Clean(%q) = %q: more characters than bytes", text, got)
			}
		}
		if !utf8.Valid(u.PublicMetadata) || (len(meta) > 0 && !json.Valid(u.PublicMetadata)) {
			t.Fatalf("Clean's metadata %q (from %q) is not valid UTF-8 JSON", u.PublicMetadata, meta)
		}
		if utf8.Valid(meta) && string(u.PublicMetadata) != string(meta) {
			t.Fatalf("Clean changed valid metadata %q into %q", meta, u.PublicMetadata)
		}
		if u.ID != id {
			t.Fatalf("Clean changed the id %q into %q", id, u.ID)
		}
	})
}
