package webhook_test

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/webhook"
)

// A payload is malformed when its data is not an object, has no id, or an
// essential field (one Sync or a decision depends on) has the wrong type.
func TestPayloadMalformed(t *testing.T) {
	t.Parallel()
	decoders := map[string]func(webhook.Event) error{
		"User":          func(e webhook.Event) error { _, err := e.User(); return err },
		"DeletedObject": func(e webhook.Event) error { _, err := e.DeletedObject(); return err },
		"Organization":  func(e webhook.Event) error { _, err := e.Organization(); return err },
		"Membership":    func(e webhook.Event) error { _, err := e.Membership(); return err },
		"Session":       func(e webhook.Event) error { _, err := e.Session(); return err },
	}
	all := []string{"User", "DeletedObject", "Organization", "Membership", "Session"}
	for _, tc := range []struct {
		data string
		fail []string // the decoders that must fail; the others must succeed
	}{
		{``, all}, {`null`, all}, {`[]`, all}, {`"x"`, all}, {`5`, all}, {`{}`, all}, {`{"id":""}`, all}, {`{"id":null}`, all},
		{`{"id":5}`, all}, {`{"id":["x"]}`, all}, {`{"id":{"v":"x"}}`, all}, {`{"id":true}`, all},
		{`{"id":"x","created_at":"yesterday"}`, []string{"User", "Organization", "Membership"}},
		{`{"id":"x","updated_at":1.5}`, []string{"User", "Organization", "Membership"}},
		{`{"id":"x","updated_at":1e30}`, []string{"User", "Organization", "Membership"}},
		{`{"id":"x","primary_email_address_id":5}`, []string{"User"}},
		{`{"id":"x","email_addresses":{}}`, []string{"User"}},
		{`{"id":"x","email_addresses":["idn_1"]}`, []string{"User"}},
		{`{"id":"x","email_addresses":[{"id":1}]}`, []string{"User"}},
		{`{"id":"x","email_addresses":[{"id":"idn_1","email_address":["a@b.c"]}]}`, []string{"User"}},
		{`{"id":"x","first_name":5}`, []string{"User"}},
		{`{"id":"x","last_name":false}`, []string{"User"}},
		{`{"id":"x","username":{}}`, []string{"User"}},
		{`{"id":"x","image_url":[]}`, []string{"User", "Organization"}},
		{`{"id":"x","name":5}`, []string{"Organization"}},
		{`{"id":"x","slug":[]}`, []string{"Organization"}},
		{`{"id":"x","role":5}`, []string{"Membership"}},
		{`{"id":"x","permissions":"org:a:b"}`, []string{"Membership"}},
		{`{"id":"x","permissions":["org:a:b",5]}`, []string{"Membership"}},
		{`{"id":"x","organization":[]}`, []string{"Membership"}},
		{`{"id":"x","organization":{"id":5}}`, []string{"Membership"}},
		{`{"id":"x","public_user_data":"user_1"}`, []string{"Membership"}},
		{`{"id":"x","public_user_data":{"user_id":5}}`, []string{"Membership"}},
		{`{"id":"x","user_id":5}`, []string{"Session"}},
		{`{"id":"x","status":{}}`, []string{"Session"}},
		// Not essential anywhere: decoded leniently by every type.
		{`{"id":"x","expire_at":{}}`, nil},
		{`{"id":"x","user":"u"}`, nil},
		{`{"id":"x","latest_activity":{"is_mobile":"false"}}`, nil},
		{`{"id":"x","public_metadata":"any JSON","private_metadata":5}`, nil},
		{`{"id":"x","deleted":"yes","object":5,"members_count":"7","banned":"no"}`, nil},
		{`{"id":"x","some_future_field":{"nested":[1,"a",null]}}`, nil},
	} {
		e := webhook.Event{Type: "test", Data: json.RawMessage(tc.data)}
		for _, name := range all {
			err := decoders[name](e)
			if slices.Contains(tc.fail, name) {
				require.ErrorIs(t, err, webhook.ErrMalformedPayload, "%s(%s)", name, tc.data)
			} else {
				require.NoError(t, err, "%s(%s)", name, tc.data)
			}
		}
	}
}

// Full payloads of every type, with every field Clerk documents set to a
// non-null value, for TestPayloadLenientDecoding.
const (
	fullUser = `{"id":"user_1","object":"user","username":"ada","first_name":"Ada","last_name":"Lovelace",
 "image_url":"https://img.clerk.com/a","has_image":true,"primary_email_address_id":"idn_1","primary_phone_number_id":"idn_p",
 "email_addresses":[{"id":"idn_0","object":"email_address","email_address":"old@example.org","linked_to":[],"verification":{"status":"unverified","strategy":"email_code"}},
  {"id":"idn_1","object":"email_address","email_address":"ada@example.org","linked_to":[{"id":"idn_g","type":"oauth_google"}],"verification":{"status":"verified","strategy":"ticket"}}],
 "phone_numbers":[{"id":"idn_p","phone_number":"+15555550100","verification":{"status":"verified","strategy":"phone_code"}}],
 "external_id":"ext_1","public_metadata":{"plan":"pro"},"private_metadata":{"s":1},"unsafe_metadata":{"u":true},
 "password_enabled":true,"two_factor_enabled":true,"banned":false,"locked":true,
 "last_sign_in_at":1716883150000,"last_active_at":1716883160000,"created_at":1716883100000,"updated_at":1716883200000}`

	fullDeleted = `{"object":"organization","id":"org_1","slug":"acme","deleted":true,"external_id":"ext_1"}`

	fullOrganization = `{"id":"org_1","object":"organization","name":"Acme","slug":"acme","image_url":"https://img.clerk.com/o",
 "has_image":true,"members_count":7,"pending_invitations_count":2,"max_allowed_memberships":10,"admin_delete_enabled":true,
 "public_metadata":{"tier":"gold"},"private_metadata":{"p":1},"created_by":"user_1","created_at":1716883100000,"updated_at":1716883200000}`

	fullMembership = `{"id":"orgmem_1","object":"organization_membership","role":"org:admin","role_name":"Admin",
 "permissions":["org:posts:read","org:posts:write"],"public_metadata":{"m":1},"private_metadata":{"n":2},
 "organization":` + fullOrganization + `,
 "public_user_data":{"user_id":"user_1","identifier":"ada@example.org","first_name":"Ada","last_name":"Lovelace","image_url":"https://img.clerk.com/a","has_image":true},
 "created_at":1716883100000,"updated_at":1716883200000}`

	fullSession = `{"id":"sess_1","object":"session","user_id":"user_1","client_id":"client_1","status":"revoked",
 "last_active_organization_id":"org_1","actor":{"sub":"user_admin"},
 "latest_activity":{"id":"act_1","object":"session_activity","device_type":"desktop","is_mobile":false,"browser_name":"Chrome",
  "browser_version":"128.0","ip_address":"192.0.2.1","city":"Paris","country":"FR"},
 "expire_at":1716969600000,"abandon_at":1719475200000,"last_active_at":1716883200000,"created_at":1716883100000,"updated_at":1716883200000,
 "user":` + fullUser + `}`
)

// The decoding rule, checked field by field on full payloads: replacing
// any value (at any depth) by one of another JSON type makes the payload
// malformed if the field is essential for the type (or contains an
// essential field), and otherwise decodes exactly as if the value were
// null: the field alone is left at its zero value, everything else is
// decoded. Raw metadata fields take any JSON and are not substituted.
func TestPayloadLenientDecoding(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		data      string
		essential []string // paths, "[]" standing for any array index
		decode    func(webhook.Event) (any, error)
	}{
		{"User", fullUser, []string{"id", "created_at", "updated_at", "primary_email_address_id", "email_addresses[].id",
			"email_addresses[].email_address", "first_name", "last_name", "username", "image_url"},
			func(e webhook.Event) (any, error) { return e.User() }},
		{"DeletedObject", fullDeleted, []string{"id"},
			func(e webhook.Event) (any, error) { return e.DeletedObject() }},
		{"Organization", fullOrganization, []string{"id", "name", "slug", "image_url", "created_at", "updated_at"},
			func(e webhook.Event) (any, error) { return e.Organization() }},
		{"Membership", fullMembership, []string{"id", "role", "permissions[]", "created_at", "updated_at",
			"organization.id", "public_user_data.user_id"},
			func(e webhook.Event) (any, error) { return e.Membership() }},
		{"Session", fullSession, []string{"id", "user_id", "status"},
			func(e webhook.Event) (any, error) { return e.Session() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			decode := func(doc any) (any, error) {
				b, err := json.Marshal(doc)
				require.NoError(t, err)
				return tc.decode(webhook.Event{Type: "test", Data: b})
			}
			root := parseJSONTree(t, tc.data)
			_, err := decode(root)
			require.NoError(t, err, "the full payload decodes")
			checked := 0
			walkJSON(root, nil, func(path []any, v any) {
				p := jsonPath(path)
				essential := false
				for _, e := range tc.essential {
					essential = essential || e == p || strings.HasPrefix(e, p+".") || strings.HasPrefix(e, p+"[]")
				}
				nulled := setJSONPath(parseJSONTree(t, tc.data), path, nil)
				want, wantErr := decode(nulled)
				for _, wrong := range wrongJSONValues(v) {
					doc := setJSONPath(parseJSONTree(t, tc.data), path, wrong)
					got, err := decode(doc)
					checked++
					if essential {
						require.ErrorIs(t, err, webhook.ErrMalformedPayload, "%s = %#v", p, wrong)
						continue
					}
					require.NoError(t, wantErr, "%s = null", p)
					require.NoError(t, err, "%s = %#v", p, wrong)
					require.Equal(t, want, got, "%s = %#v decodes as %s = null", p, wrong, p)
				}
			})
			assert.Greater(t, checked, 15)
		})
	}
}

// parseJSONTree decodes s keeping numbers as json.Number.
func parseJSONTree(t testing.TB, s string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	require.NoError(t, dec.Decode(&v))
	return v
}

// rawJSONFields take any JSON value as is; they are not substituted.
var rawJSONFields = map[string]bool{"public_metadata": true, "private_metadata": true, "unsafe_metadata": true, "actor": true}

// walkJSON calls visit for every value under v (not v itself), with its
// path of object keys (string) and array indices (int), parents first.
func walkJSON(v any, path []any, visit func(path []any, v any)) {
	switch v := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if rawJSONFields[k] {
				continue
			}
			p := append(slices.Clip(path), k)
			visit(p, v[k])
			walkJSON(v[k], p, visit)
		}
	case []any:
		for i, e := range v {
			p := append(slices.Clip(path), i)
			visit(p, e)
			walkJSON(e, p, visit)
		}
	}
}

// jsonPath renders a path as "a.b[].c".
func jsonPath(path []any) string {
	var b strings.Builder
	for _, k := range path {
		switch k := k.(type) {
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(k)
		case int:
			b.WriteString("[]")
		}
	}
	return b.String()
}

// setJSONPath sets the value at path in root and returns root.
func setJSONPath(root any, path []any, v any) any {
	cur := root
	for i, k := range path {
		last := i == len(path)-1
		switch k := k.(type) {
		case string:
			m := cur.(map[string]any)
			if last {
				m[k] = v
			}
			cur = m[k]
		case int:
			a := cur.([]any)
			if last {
				a[k] = v
			}
			cur = a[k]
		}
	}
	return root
}

// wrongJSONValues returns values of every JSON type but v's (a fraction
// and an out-of-range number for an integer).
func wrongJSONValues(v any) []any {
	all := map[string]any{"string": "x", "number": json.Number("5"), "bool": true, "object": map[string]any{"k": "x"}, "array": []any{"x"}}
	kind := ""
	switch v.(type) {
	case string:
		kind = "string"
	case json.Number:
		kind = "number"
	case bool:
		kind = "bool"
	case map[string]any:
		kind = "object"
	case []any:
		kind = "array"
	case nil:
		return nil
	}
	var out []any
	for _, k := range []string{"string", "number", "bool", "object", "array"} {
		if k != kind {
			out = append(out, all[k])
		}
	}
	if n, ok := v.(json.Number); ok && !strings.ContainsAny(string(n), ".eE") {
		out = append(out, json.Number("1.5"), json.Number("1e30"))
	}
	return out
}
