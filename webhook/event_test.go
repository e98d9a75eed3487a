package webhook_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/webhook"
)

// Sample payloads from Clerk's OpenAPI examples and docs, with the trimmed parts
// filled in from Clerk's field documentation.
const (
	sampleUserCreated = `{"type":"user.created","object":"event","instance_id":"ins_123","timestamp":1654012591835,
 "data":{"id":"user_29w83sxmDNGwOuEthce5gg56FcC","object":"user","first_name":"Example","last_name":"Example",
  "username":null,"image_url":"https://img.clerk.com/xxxxxx","external_id":"567772",
  "primary_email_address_id":"idn_29w83yL7CwVlJXylYLxcslromF1",
  "email_addresses":[{"id":"idn_other","object":"email_address","email_address":"other@example.org","linked_to":[],"verification":null},
   {"id":"idn_29w83yL7CwVlJXylYLxcslromF1","object":"email_address",
    "email_address":"example@example.org","linked_to":[],"verification":{"status":"verified","strategy":"ticket"}}],
  "public_metadata":{"plan":"pro"},"private_metadata":{},"unsafe_metadata":{},"banned":false,"locked":true,
  "last_sign_in_at":null,"created_at":1654012591514,"updated_at":1654012591835,"some_future_field":[1,2,3]}}`

	sampleUserDeleted = `{"type":"user.deleted","object":"event","instance_id":"ins_2g7np7Hrk0SN6kj5EDMLDaKNL0S","timestamp":1716883200,
 "event_attributes":{"http_request":{"client_ip":"192.168.1.100","user_agent":"Mozilla/5.0 (X11)"}},
 "data":{"object":"user","id":"user_2g7np7Hrk0SN6kj5EDMLDaKNL0S","deleted":true,"external_id":"ex_123456789"}}`

	sampleOrgDeleted = `{"type":"organization.deleted","object":"event","instance_id":"ins_1","timestamp":1716883200000,
 "data":{"object":"organization","id":"org_2g7np7Hrk0SN6kj5EDMLDaKNL0S","slug":"acme-corp","deleted":true}}`

	sampleOrgUpdated = `{"type":"organization.updated","object":"event","instance_id":"ins_1","timestamp":1716883200000,
 "data":{"object":"organization","id":"org_2g7np7Hrk0SN6kj5EDMLDaKNL0S","name":"Acme Corp","slug":"acme-corp",
  "image_url":"https://img.clerk.com/org","has_image":true,"members_count":7,"public_metadata":{"tier":"gold"},
  "private_metadata":{},"created_by":"user_creator","created_at":1716883100000,"updated_at":1716883200000,"role_set_key":"default"}}`

	sampleMembershipCreated = `{"type":"organizationMembership.created","object":"event","instance_id":"ins_1","timestamp":1716883200,
 "data":{"object":"organization_membership","id":"orgmem_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
  "role":"org:member","role_name":"Member","permissions":["org:posts:read","org:posts:write"],
  "public_metadata":{},"private_metadata":{},
  "organization":{"object":"organization","id":"org_2g7np7Hrk0SN6kj5EDMLDaKNL0S","name":"Acme Corp","slug":"acme-corp","updated_at":1716883100000},
  "public_user_data":{"user_id":"user_2h8op3Isl1QR7tKu5FGNfaLKEoU","first_name":"Jane","last_name":"Doe",
    "image_url":"https://img.clerk.com/yyyyy","has_image":true,"identifier":"jane.doe@acme.com"},
  "created_at":1716883200000,"updated_at":1716883200000}}`

	sampleSessionCreated = `{"type":"session.created","object":"event","instance_id":"ins_1","timestamp":1716883200,
 "data":{"object":"session","id":"sess_2g7np7Hrk0SN6kj5EDMLDaKNL0S","user_id":"user_2g7","client_id":"client_2g7",
  "actor":null,"status":"active","last_active_organization_id":"org_2g7","last_active_at":1716883200000,
  "latest_activity":{"object":"session_activity","id":"activity_1","device_type":"desktop","is_mobile":false,
    "browser_name":"Chrome","browser_version":"128.0.0.0","ip_address":"192.168.1.100","city":"San Francisco","country":"US"},
  "expire_at":1716969600000,"abandon_at":1719475200000,"created_at":1716883200000,"updated_at":1716883200000,
  "user":{"object":"user","id":"user_2g7","first_name":"John","last_name":"Doe","updated_at":1716883100000}}}`
)

func ms(v int64) time.Time { return time.UnixMilli(v) }

func TestParseEnvelope(t *testing.T) {
	t.Parallel()
	e, err := webhook.ParseEvent([]byte(sampleUserDeleted))
	require.NoError(t, err)
	assert.Equal(t, webhook.EventUserDeleted, e.Type)
	assert.Equal(t, "event", e.Object)
	assert.Equal(t, "ins_2g7np7Hrk0SN6kj5EDMLDaKNL0S", e.InstanceID)
	assert.Equal(t, "192.168.1.100", e.Attributes.HTTPRequest.ClientIP)
	assert.Equal(t, "Mozilla/5.0 (X11)", e.Attributes.HTTPRequest.UserAgent)
	assert.True(t, e.Timestamp.Equal(time.Unix(1716883200, 0)), "10-digit timestamp read as seconds: %v", e.Timestamp)
	assert.Empty(t, e.MessageID)
	assert.JSONEq(t, `{"object":"user","id":"user_2g7np7Hrk0SN6kj5EDMLDaKNL0S","deleted":true,"external_id":"ex_123456789"}`, string(e.Data))

	e, err = webhook.ParseEvent([]byte(sampleUserCreated))
	require.NoError(t, err)
	assert.True(t, e.Timestamp.Equal(ms(1654012591835)), "13-digit timestamp read as milliseconds: %v", e.Timestamp)
}

func TestParseEventTimestamps(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		json string
		want time.Time
	}{
		{`1654012591835`, ms(1654012591835)},
		{`1716883200`, time.Unix(1716883200, 0)},
		{`999999999999`, time.Unix(999999999999, 0)},
		{`1000000000000`, ms(1000000000000)},
		{`0`, time.Unix(0, 0)},
		{`null`, time.Time{}},
	} {
		e, err := webhook.ParseEvent([]byte(`{"type":"x","timestamp":` + tc.json + `}`))
		require.NoError(t, err, tc.json)
		assert.True(t, e.Timestamp.Equal(tc.want), "%s: got %v, want %v", tc.json, e.Timestamp, tc.want)
	}
	e, err := webhook.ParseEvent([]byte(`{"type":"x"}`))
	require.NoError(t, err)
	assert.True(t, e.Timestamp.IsZero())
}

func TestParseEventMalformed(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		``, `   `, `null`, `[]`, `"user.created"`, `42`, `{`, `{"type":"user.created"`,
		`{}`, `{"type":""}`, `{"object":"event","data":{}}`,
		`{"type":5}`, `{"type":"user.created","timestamp":"1654012591835"}`,
		`{"type":"user.created","timestamp":1.5}`, `{"type":"user.created","timestamp":1e30}`,
		`{"type":"user.created"} trailing`, `{"type":"user.created","data":"x"}`, `{"type":"user.created","data":[{}]}`,
		`{"type":"user.created","data":5}`, `{"type":"user.created","data":true}`, `{"type":["user.created"]}`,
		`{"type":"user.created","timestamp":{}}`, `{"type":"user.created","timestamp":true}`,
	} {
		_, err := webhook.ParseEvent([]byte(body))
		require.ErrorIs(t, err, webhook.ErrMalformedEvent, "body %q", body)
	}
}

// The envelope's essential fields are type (a string), timestamp (an
// integer) and data (an object); null or absent is allowed for each (a
// missing type is refused by ParseEvent for its own reason). Any other
// field of another JSON type decodes as if it were null: the field alone
// is zero, everything else is decoded.
func TestParseEventLenient(t *testing.T) {
	t.Parallel()
	essential := map[string]bool{"type": true, "timestamp": true, "data": true}
	parse := func(doc any) (webhook.Event, error) {
		b, err := json.Marshal(doc)
		require.NoError(t, err)
		return webhook.ParseEvent(b)
	}
	for _, sample := range []string{sampleUserDeleted, sampleSessionCreated} {
		root := parseJSONTree(t, sample)
		_, err := parse(root)
		require.NoError(t, err)
		checked := 0
		walkJSON(root, nil, func(path []any, v any) {
			if path[0] == "data" && len(path) > 1 {
				return // raw until a typed accessor decodes it
			}
			p := jsonPath(path)
			want, wantErr := parse(setJSONPath(parseJSONTree(t, sample), path, nil))
			for _, wrong := range wrongJSONValues(v) {
				got, err := parse(setJSONPath(parseJSONTree(t, sample), path, wrong))
				checked++
				if essential[p] {
					require.ErrorIs(t, err, webhook.ErrMalformedEvent, "%s = %#v", p, wrong)
					continue
				}
				require.NoError(t, wantErr, "%s = null", p)
				require.NoError(t, err, "%s = %#v", p, wrong)
				require.Equal(t, compactEvent(t, want), compactEvent(t, got), "%s = %#v decodes as %s = null", p, wrong, p)
			}
		})
		assert.Greater(t, checked, 20)
	}

	// The review's example: a user agent sent as an array.
	e, err := webhook.ParseEvent([]byte(`{"type":"session.revoked","timestamp":1716883200000,"object":"event",
 "event_attributes":{"http_request":{"user_agent":["x"],"client_ip":"192.0.2.1"}},"data":{"id":"sess_1"}}`))
	require.NoError(t, err)
	assert.Equal(t, webhook.HTTPRequest{ClientIP: "192.0.2.1"}, e.Attributes.HTTPRequest)
	assert.Equal(t, "event", e.Object)
	assert.True(t, e.Timestamp.Equal(ms(1716883200000)))

	// null data is no data.
	e, err = webhook.ParseEvent([]byte(`{"type":"x","data":null}`))
	require.NoError(t, err)
	_, err = e.User()
	assert.ErrorIs(t, err, webhook.ErrMalformedPayload)
}

func TestEventMarshalRoundTrip(t *testing.T) {
	t.Parallel()
	e, err := webhook.ParseEvent([]byte(sampleSessionCreated))
	require.NoError(t, err)
	e.MessageID = "msg_1"
	b, err := json.Marshal(e)
	require.NoError(t, err)
	assert.NotContains(t, string(b), "msg_1", "the message id is not part of the body")
	assert.Contains(t, string(b), `"timestamp":1716883200000`)
	back, err := webhook.ParseEvent(b)
	require.NoError(t, err)
	e.MessageID = ""
	assert.Equal(t, compactEvent(t, e), compactEvent(t, back))

	b, err = json.Marshal(webhook.Event{Type: "x"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"type":"x","object":"","timestamp":null,"instance_id":"","event_attributes":{"http_request":{"client_ip":"","user_agent":""}},"data":null}`, string(b))
}

// compactEvent normalises Data's white space for comparison.
func compactEvent(t testing.TB, e webhook.Event) webhook.Event {
	t.Helper()
	if len(e.Data) > 0 {
		var buf bytes.Buffer
		require.NoError(t, json.Compact(&buf, e.Data))
		e.Data = buf.Bytes()
	}
	return e
}

func FuzzDecodeEvent(f *testing.F) {
	for _, s := range []string{
		sampleUserCreated, sampleUserDeleted, sampleOrgDeleted, sampleOrgUpdated, sampleMembershipCreated, sampleSessionCreated,
		`{"type":"x"}`, `{"type":"x","timestamp":-1}`, `{"type":"x","timestamp":9223372036854775807}`,
		`{"type":"x","timestamp":-9223372036854775808}`, `{"type":"x","data":{"id":"a","created_at":-62135596800000}}`,
		`{"type":"x","data":{"id":"a","updated_at":9223372036854775807}}`, `{"type":"\ud800","data":{"id":"\u0000"}}`,
		`{"type":"x","data":{"id":"a","organization":{"id":"o","created_at":null}},"data":{"id":"b"}}`,
		`[]`, `null`, `{"type":5}`, "{\"type\":\"x\",\"data\":{\"id\":\"\xff\"}}",
		// Lenient fields of the wrong type; essential ones of the wrong type.
		`{"type":"session.revoked","timestamp":1716883200000,"data":{"id":"sess_1","status":"revoked","latest_activity":{"is_mobile":"false"}}}`,
		`{"type":"session.revoked","event_attributes":{"http_request":{"user_agent":["x"]}},"data":{"id":"sess_1"}}`,
		`{"type":"x","object":5,"instance_id":[],"event_attributes":"a","data":{"id":"a","user":"u","latest_activity":1,"expire_at":"t"}}`,
		`{"type":"x","data":{"id":"a","email_addresses":[{"id":"i","verification":"v"},5,null],"phone_numbers":{}}}`,
		`{"type":"x","data":{"id":"a","organization":{"id":"o","name":5},"public_user_data":{"user_id":"u","has_image":"t"}}}`,
		`{"type":"x","data":{"id":"a","permissions":["p",5],"created_at":1.5,"updated_at":"1"}}`,
		`{"type":"x","data":{"id":5,"ID":"b"}}`, `{"type":"x","data":{"id":"a","id":5}}`,
		`{"type":"x","timestamp":1e3}`, `{"type":"x","data":"d"}`, `{"type":"x","data":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := webhook.ParseEvent(body)
		// The decoding rule as an oracle: the envelope is accepted exactly
		// when it is an object whose essential fields decode strictly, with a
		// type and an object (or no) data; nothing else can refuse it.
		var ess struct {
			Type      string          `json:"type"`
			Timestamp *int64          `json:"timestamp"`
			Data      json.RawMessage `json:"data"`
		}
		trimmed := bytes.TrimLeft(body, " \t\r\n")
		wantOK := len(trimmed) > 0 && trimmed[0] == '{' && json.Unmarshal(body, &ess) == nil && ess.Type != "" &&
			(len(ess.Data) == 0 || string(ess.Data) == "null" || ess.Data[0] == '{')
		if (err == nil) != wantOK {
			t.Fatalf("ParseEvent(%q): error %v, want success %v", body, err, wantOK)
		}
		if err != nil {
			if !errors.Is(err, webhook.ErrMalformedEvent) {
				t.Fatalf("ParseEvent error %v is not ErrMalformedEvent", err)
			}
			return
		}
		if e.Type == "" {
			t.Fatal("ParseEvent accepted an event without a type")
		}
		// The envelope survives its wire form (a timestamp before 2001 reads
		// back as seconds, as documented).
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		back, err := webhook.ParseEvent(b)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", b, err)
		}
		if ms := e.Timestamp.UnixMilli(); !e.Timestamp.IsZero() && ms > -1e12 && ms < 1e12 {
			back.Timestamp = e.Timestamp
		}
		if !back.Timestamp.Equal(e.Timestamp) {
			t.Fatalf("timestamp %v read back as %v", e.Timestamp, back.Timestamp)
		}
		back.Timestamp = e.Timestamp
		b1, _ := json.Marshal(e)
		b2, _ := json.Marshal(back)
		if !bytes.Equal(b1, b2) {
			t.Fatalf("envelope round trip differs:\n%s\n%s", b1, b2)
		}

		// Every typed decoder either fails with ErrMalformedPayload or
		// yields a value whose wire form is stable.
		checkPayload(t, "User", e.User)
		checkPayload(t, "DeletedObject", e.DeletedObject)
		checkPayload(t, "Organization", e.Organization)
		checkPayload(t, "Membership", e.Membership)
		checkPayload(t, "Session", e.Session)

		// And each payload is accepted exactly when its essential fields
		// decode strictly and it has an id.
		checkEssential(t, "User", e, e.User, func(u *webhook.User) string { return u.ID }, &struct {
			ID     string `json:"id"`
			P      string `json:"primary_email_address_id"`
			Emails []struct {
				ID    string `json:"id"`
				Email string `json:"email_address"`
			} `json:"email_addresses"`
			First    string       `json:"first_name"`
			Last     string       `json:"last_name"`
			Username string       `json:"username"`
			Image    string       `json:"image_url"`
			Created  oracleMillis `json:"created_at"`
			Updated  oracleMillis `json:"updated_at"`
		}{}, func(v any) string { return reflect.ValueOf(v).Elem().Field(0).String() })
		checkEssential(t, "DeletedObject", e, e.DeletedObject, func(d *webhook.DeletedObject) string { return d.ID }, &struct {
			ID string `json:"id"`
		}{}, func(v any) string { return reflect.ValueOf(v).Elem().Field(0).String() })
		checkEssential(t, "Organization", e, e.Organization, func(o *webhook.Organization) string { return o.ID }, &struct {
			ID      string       `json:"id"`
			Name    string       `json:"name"`
			Slug    string       `json:"slug"`
			Image   string       `json:"image_url"`
			Created oracleMillis `json:"created_at"`
			Updated oracleMillis `json:"updated_at"`
		}{}, func(v any) string { return reflect.ValueOf(v).Elem().Field(0).String() })
		checkEssential(t, "Membership", e, e.Membership, func(m *webhook.Membership) string { return m.ID }, &struct {
			ID      string       `json:"id"`
			Role    string       `json:"role"`
			Perms   []string     `json:"permissions"`
			Created oracleMillis `json:"created_at"`
			Updated oracleMillis `json:"updated_at"`
			Org     struct {
				ID string `json:"id"`
			} `json:"organization"`
			User struct {
				ID string `json:"user_id"`
			} `json:"public_user_data"`
		}{}, func(v any) string { return reflect.ValueOf(v).Elem().Field(0).String() })
		checkEssential(t, "Session", e, e.Session, func(s *webhook.Session) string { return s.ID }, &struct {
			ID     string `json:"id"`
			UserID string `json:"user_id"`
			Status string `json:"status"`
		}{}, func(v any) string { return reflect.ValueOf(v).Elem().Field(0).String() })
	})
}

// oracleMillis accepts an integer or null, as an essential time must be.
type oracleMillis struct{}

func (*oracleMillis) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	_, err := strconv.ParseInt(string(b), 10, 64)
	return err
}

// checkEssential checks the decoding rule for one payload type: decode
// succeeds exactly when the data is an object that decodes strictly into
// ess (the essential fields) with a non-empty id (read by essID), and the
// decoded id is that id.
func checkEssential[T any](t *testing.T, name string, e webhook.Event, decode func() (*T, error), id func(*T) string, ess any, essID func(any) string) {
	t.Helper()
	data := bytes.TrimLeft(e.Data, " \t\r\n")
	wantOK := len(data) > 0 && data[0] == '{' && json.Unmarshal(e.Data, ess) == nil && essID(ess) != ""
	v, err := decode()
	if (err == nil) != wantOK {
		t.Fatalf("%s(%s): error %v, want success %v", name, e.Data, err, wantOK)
	}
	if err == nil && id(v) != essID(ess) {
		t.Fatalf("%s(%s): id %q, the strict decode reads %q", name, e.Data, id(v), essID(ess))
	}
}

func checkPayload[T any](t *testing.T, name string, decode func() (*T, error)) {
	t.Helper()
	v, err := decode()
	if err != nil {
		if !errors.Is(err, webhook.ErrMalformedPayload) {
			t.Fatalf("%s: error %v is not ErrMalformedPayload", name, err)
		}
		return
	}
	b1, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%s: Marshal: %v", name, err)
	}
	var again T
	if err := json.Unmarshal(b1, &again); err != nil {
		t.Fatalf("%s: decoding its own output %s: %v", name, b1, err)
	}
	b2, err := json.Marshal(again)
	if err != nil {
		t.Fatalf("%s: Marshal: %v", name, err)
	}
	if !bytes.Equal(b1, b2) {
		t.Fatalf("%s: wire form not stable:\n%s\n%s", name, b1, b2)
	}
}
