package audittest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/unioneyes/authkit/audit"
)

// Run checks that the sinks returned by newSink follow the [audit.Sink]
// contract and emit [audit.Record.LogAttrs]. It runs each case as a subtest,
// calling newSink once per case; newSink returns a fresh sink and a function
// that returns every record the sink has emitted so far, oldest first, as a
// map from key to value (decoded JSON, or [Recorder.Maps]-style Go values).
//
// Keys are the flat keys [audit.Record.LogAttrs] lists ("user.id" is a
// top-level key, not a nested object); free attribute groups are nested
// maps. Values are compared loosely: numbers of any Go numeric type or
// json.Number, durations as time.Duration, integer nanoseconds or
// time.ParseDuration strings, times as time.Time or RFC 3339 strings,
// user.roles as []string or []any. The record time must appear under
// [audit.KeyTime]. Keys the kit does not know (a "level" or "msg" written by
// a slog handler, say) are ignored.
//
// The cases check:
//   - every field of a full record, under its key;
//   - a zero record emits only duration and http.response.body.size;
//   - failure, panic, hijack and abort flags, and IPv6 addresses;
//   - free attributes: scalar kinds, nested groups, slog.LogValuer values
//     resolved (an [audit.Secret] never shows its value), reserved keys
//     dropped;
//   - Write does not modify the record;
//   - concurrent Writes produce every record, each intact.
func Run(t *testing.T, newSink func(t *testing.T) (audit.Sink, func() []map[string]any)) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sink, result := newSink(t)
			if sink == nil || result == nil {
				t.Fatal("newSink returned a nil sink or a nil result function")
			}
			c.run(t, sink, result)
		})
	}
}

// JSONLines decodes data as a sequence of JSON objects (one per line, as
// [audit.JSONSink] writes them), decoding numbers as json.Number. It is the
// usual result function for sinks that write JSON.
func JSONLines(data []byte) ([]map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out []map[string]any
	for {
		var m map[string]any
		err := dec.Decode(&m)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("audittest: record %d: %w", len(out)+1, err)
		}
		out = append(out, m)
	}
}

// The keys a conforming sink emits ([audit.Record.LogAttrs]), written out here
// so that the kit checks them independently of package audit's own table.
const (
	keyMethod        = "http.request.method"
	keyRoute         = "http.route"
	keyPath          = "url.path"
	keyStatus        = "http.response.status_code"
	keyBytes         = "http.response.body.size"
	keyDuration      = "duration"
	keyClientAddress = "client.address"
	keyPeerAddress   = "network.peer.address"
	keyPeerPort      = "network.peer.port"
	keyUserAgent     = "user_agent.original"
	keyRequestID     = "http.request.id"
	keyUserID        = "user.id"
	keySessionID     = "session.id"
	keyOrgID         = "organization.id"
	keyOrgRole       = "user.roles"
	keyPrincipalKind = "authkit.principal.kind"
	keyAuthOutcome   = "event.outcome"
	keyAuthFailure   = "error.type"
	keyHijacked      = "authkit.hijacked"
	keyPanicked      = "authkit.panicked"
	keyAborted       = "authkit.aborted"
)

type kitCase struct {
	name string
	run  func(t *testing.T, sink audit.Sink, result func() []map[string]any)
}

var cases = []kitCase{
	{"full record", func(t *testing.T, sink audit.Sink, result func() []map[string]any) {
		r := fullRecord()
		got := writeOne(t, sink, &r, result)
		checkFields(t, got, map[string]any{
			audit.KeyTime:    r.Time,
			keyMethod:        "POST",
			keyRoute:         "POST /orgs/{org}/invoices",
			keyPath:          "/orgs/org_1/invoices",
			keyStatus:        int64(201),
			keyBytes:         int64(42),
			keyDuration:      1500 * time.Microsecond,
			keyClientAddress: "203.0.113.7",
			keyPeerAddress:   "10.0.0.2",
			keyPeerPort:      int64(41000),
			keyUserAgent:     "audittest/1.0",
			keyRequestID:     "req_full",
			keyUserID:        "user_1",
			keySessionID:     "sess_1",
			keyOrgID:         "org_1",
			keyOrgRole:       []string{"org:admin"},
			keyPrincipalKind: "session",
			keyAuthOutcome:   "success",
			keyAuthFailure:   nil,
			keyHijacked:      nil,
			keyPanicked:      nil,
			keyAborted:       nil,
		})
	}},
	{"zero record", func(t *testing.T, sink audit.Sink, result func() []map[string]any) {
		got := writeOne(t, sink, &audit.Record{}, result)
		want := map[string]any{
			keyBytes:    int64(0),
			keyDuration: time.Duration(0),
		}
		for _, k := range allKeys {
			if _, ok := want[k]; !ok {
				want[k] = nil
			}
		}
		checkFields(t, got, want)
	}},
	{"auth failure and panic", func(t *testing.T, sink audit.Sink, result func() []map[string]any) {
		r := audit.Record{
			Time:        time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
			Method:      audit.MethodOther,
			Path:        "/",
			Status:      500,
			AuthOutcome: audit.AuthFailure,
			AuthFailure: "clerkauth: token expired",
			Panicked:    true,
		}
		got := writeOne(t, sink, &r, result)
		checkFields(t, got, map[string]any{
			keyMethod:      "_OTHER",
			keyStatus:      int64(500),
			keyAuthOutcome: "failure",
			keyAuthFailure: "clerkauth: token expired",
			keyPanicked:    true,
			keyUserID:      nil,
			keyRoute:       nil,
		})
	}},
	{"hijacked, aborted, anonymous", func(t *testing.T, sink audit.Sink, result func() []map[string]any) {
		r := audit.Record{Method: "GET", Path: "/ws", Hijacked: true, Aborted: true, AuthOutcome: audit.AuthAnonymous}
		got := writeOne(t, sink, &r, result)
		checkFields(t, got, map[string]any{
			keyHijacked:    true,
			keyAborted:     true,
			keyAuthOutcome: "anonymous",
			keyStatus:      nil,
			keyPanicked:    nil,
		})
	}},
	{"IPv6 addresses", func(t *testing.T, sink audit.Sink, result func() []map[string]any) {
		r := audit.Record{
			Method:   "GET",
			ClientIP: netip.MustParseAddr("2001:db8::7"),
			PeerAddr: netip.MustParseAddrPort("[2001:db8::2]:443"),
		}
		got := writeOne(t, sink, &r, result)
		checkFields(t, got, map[string]any{
			keyClientAddress: "2001:db8::7",
			keyPeerAddress:   "2001:db8::2",
			keyPeerPort:      int64(443),
		})
	}},
	{"free attributes", func(t *testing.T, sink audit.Sink, result func() []map[string]any) {
		r := fullRecord()
		r.Attrs = []slog.Attr{
			slog.String("app.action", "invoice.create"),
			slog.Int("app.count", 3),
			slog.Bool("app.dry_run", true),
			slog.Group("app.invoice", slog.String("id", "inv_1"), slog.Int("lines", 2)),
			slog.Any("app.invite_code", audit.Secret("hunter2-secret")),
			{Key: "app.webhook_secret", Value: audit.Redact("hunter3-secret")},
			slog.String(keyUserID, "user_forged"),
			slog.String(keyStatus, "forged"),
			slog.String("time", "forged"),
		}
		got := writeOne(t, sink, &r, result)
		checkFields(t, got, map[string]any{
			"app.action":         "invoice.create",
			"app.count":          int64(3),
			"app.dry_run":        true,
			"app.invoice":        map[string]any{"id": "inv_1", "lines": int64(2)},
			"app.invite_code":    audit.Redacted,
			"app.webhook_secret": audit.Redacted,
			keyUserID:            "user_1",
			keyStatus:            int64(201),
			audit.KeyTime:        r.Time,
		})
		dump := fmt.Sprint(got)
		for _, leak := range []string{"hunter2-secret", "hunter3-secret", "user_forged", "forged"} {
			if bytes.Contains([]byte(dump), []byte(leak)) {
				t.Errorf("output contains %q: %s", leak, dump)
			}
		}
	}},
	{"record not modified", func(t *testing.T, sink audit.Sink, result func() []map[string]any) {
		r := fullRecord()
		r.Attrs = []slog.Attr{slog.String("app.k", "v"), slog.Group("app.g", slog.Int("n", 1))}
		before := r
		before.Attrs = slices.Clone(r.Attrs)
		if err := sink.Write(context.Background(), &r); err != nil {
			t.Fatalf("Write: %v", err)
		}
		if !reflect.DeepEqual(before, r) {
			t.Errorf("Write modified the record:\nbefore %+v\nafter  %+v", before, r)
		}
	}},
	{"concurrent writes", func(t *testing.T, sink audit.Sink, result func() []map[string]any) {
		const goroutines, each = 8, 25
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Go(func() {
				for i := range each {
					r := fullRecord()
					r.RequestID = fmt.Sprintf("req_%d_%d", g, i)
					r.UserID = "user_" + r.RequestID
					r.Bytes = int64(g*1000 + i)
					r.Attrs = []slog.Attr{slog.String("app.seq", r.RequestID)}
					if err := sink.Write(context.Background(), &r); err != nil {
						t.Errorf("Write: %v", err)
						return
					}
				}
			})
		}
		wg.Wait()
		got := result()
		if len(got) != goroutines*each {
			t.Fatalf("got %d records, want %d", len(got), goroutines*each)
		}
		seen := make(map[string]bool)
		for _, m := range got {
			id, _ := m[keyRequestID].(string)
			if seen[id] {
				t.Errorf("request id %q emitted twice", id)
			}
			seen[id] = true
			var g, i int
			if _, err := fmt.Sscanf(id, "req_%d_%d", &g, &i); err != nil {
				t.Errorf("unexpected request id %q", id)
				continue
			}
			checkFields(t, m, map[string]any{
				keyUserID: "user_" + id,
				"app.seq": id,
				keyBytes:  int64(g*1000 + i),
			})
		}
	}},
}

var allKeys = []string{
	audit.KeyTime, keyMethod, keyRoute, keyPath, keyStatus,
	keyClientAddress, keyPeerAddress, keyPeerPort,
	keyUserAgent, keyRequestID, keyUserID, keySessionID,
	keyOrgID, keyOrgRole, keyPrincipalKind, keyAuthOutcome,
	keyAuthFailure, keyHijacked, keyPanicked, keyAborted,
	keyBytes, keyDuration,
}

func fullRecord() audit.Record {
	return audit.Record{
		Time:          time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC),
		Duration:      1500 * time.Microsecond,
		Method:        "POST",
		Route:         "POST /orgs/{org}/invoices",
		Path:          "/orgs/org_1/invoices",
		Status:        201,
		Bytes:         42,
		ClientIP:      netip.MustParseAddr("203.0.113.7"),
		PeerAddr:      netip.MustParseAddrPort("10.0.0.2:41000"),
		UserAgent:     "audittest/1.0",
		RequestID:     "req_full",
		UserID:        "user_1",
		SessionID:     "sess_1",
		OrgID:         "org_1",
		OrgRole:       "org:admin",
		PrincipalKind: "session",
		AuthOutcome:   audit.AuthSuccess,
	}
}

// writeOne writes r and returns the single record the sink emitted.
func writeOne(t *testing.T, sink audit.Sink, r *audit.Record, result func() []map[string]any) map[string]any {
	t.Helper()
	if err := sink.Write(context.Background(), r); err != nil {
		t.Fatalf("Write: %v", err)
	}
	got := result()
	if len(got) != 1 {
		t.Fatalf("sink emitted %d records for one Write, want 1", len(got))
	}
	return got[0]
}

// checkFields checks each key of want against got; a nil want means the key
// must be absent.
func checkFields(t *testing.T, got, want map[string]any) {
	t.Helper()
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		w := want[k]
		g, present := got[k]
		switch {
		case w == nil && present:
			t.Errorf("%s: present (%v), want absent", k, g)
		case w != nil && !present:
			t.Errorf("%s: missing, want %v", k, w)
		case w != nil && !equal(g, w):
			t.Errorf("%s: got %v (%T), want %v (%T)", k, g, g, w, w)
		}
	}
}

// equal compares an emitted value with the expected one, loosely (see Run).
func equal(got, want any) bool {
	switch w := want.(type) {
	case string:
		g, ok := got.(string)
		return ok && g == w
	case bool:
		g, ok := got.(bool)
		return ok && g == w
	case int64:
		g, ok := asInt64(got)
		return ok && g == w
	case time.Duration:
		if s, ok := got.(string); ok {
			d, err := time.ParseDuration(s)
			return err == nil && d == w
		}
		g, ok := asInt64(got)
		return ok && g == int64(w)
	case time.Time:
		switch g := got.(type) {
		case time.Time:
			return g.Equal(w)
		case string:
			pt, err := time.Parse(time.RFC3339Nano, g)
			return err == nil && pt.Equal(w)
		}
		return false
	case []string:
		var g []string
		switch v := got.(type) {
		case []string:
			g = v
		case []any:
			for _, e := range v {
				s, ok := e.(string)
				if !ok {
					return false
				}
				g = append(g, s)
			}
		default:
			return false
		}
		return slices.Equal(g, w)
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok || !equal(gv, wv) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(got, want)
}

func asInt64(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case uint:
		return int64(n), true
	case uint32:
		return int64(n), true
	case uint64:
		return int64(n), n <= 1<<63-1
	case time.Duration:
		return int64(n), true
	case float64:
		return int64(n), float64(int64(n)) == n
	case json.Number:
		i, err := strconv.ParseInt(string(n), 10, 64)
		return i, err == nil
	}
	return 0, false
}
