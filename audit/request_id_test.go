package audit_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/unioneyes/authkit/audit"
	"github.com/unioneyes/authkit/audit/audittest"
)

func TestRequestIDGenerated(t *testing.T) {
	var rec audittest.Recorder
	var inHandler []string
	h := audit.Middleware(&rec)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inHandler = append(inHandler, audit.RequestID(r.Context()))
	}))
	seen := make(map[string]bool)
	for i := range 100 {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("X-Request-Id", "client-chosen") // not trusted by default
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		id := w.Header().Get("X-Request-Id")
		if len(id) != 22 || strings.Trim(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			t.Fatalf("generated id %q is not 22 URL-safe characters", id)
		}
		if seen[id] {
			t.Fatalf("id %q generated twice", id)
		}
		seen[id] = true
		if inHandler[i] != id || rec.Records()[i].RequestID != id {
			t.Fatalf("id differs between header %q, handler %q and record %q", id, inHandler[i], rec.Records()[i].RequestID)
		}
	}
}

func TestRequestIDInbound(t *testing.T) {
	max := strings.Repeat("a", audit.MaxRequestIDLength)
	for _, tc := range []struct {
		name     string
		values   []string
		accepted bool
	}{
		{"uuid", []string{"3f2b8c1e-9d4a-4f6b-8e2a-1c5d7e9f0a1b"}, true},
		{"unreserved", []string{"Req_1.2~3-x"}, true},
		{"max length", []string{max}, true},
		{"too long", []string{max + "a"}, false},
		{"empty", []string{""}, false},
		{"space", []string{"req 1"}, false},
		{"quote", []string{`req"1`}, false},
		{"slash", []string{"req/1"}, false},
		{"log forging", []string{"req1\",\"user.id\":\"admin"}, false},
		{"control", []string{"req\x01"}, false},
		{"non-ASCII", []string{"réq"}, false},
		{"two lines", []string{"req-a", "req-b"}, false},
		{"absent", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/", nil)
			for _, v := range tc.values {
				req.Header.Add("x-correlation-id", v)
			}
			got, w := record(t, http.NotFoundHandler(), req, audit.WithRequestIDHeader("x-correlation-id"))
			echoed := w.Header().Get("X-Correlation-Id")
			if echoed != got.RequestID {
				t.Errorf("echoed %q, recorded %q", echoed, got.RequestID)
			}
			if w.Header().Get("X-Request-Id") != "" {
				t.Error("default header set although another was configured")
			}
			if tc.accepted {
				if got.RequestID != tc.values[0] {
					t.Errorf("RequestID = %q, want inbound %q", got.RequestID, tc.values[0])
				}
				return
			}
			if len(got.RequestID) != 22 || (len(tc.values) > 0 && got.RequestID == tc.values[0]) {
				t.Errorf("RequestID = %q, want a generated id", got.RequestID)
			}
		})
	}
}

func TestInvalidRequestIDHeaderOption(t *testing.T) {
	for _, name := range []string{"Bad Header", "x-id\n", "a:b", "ü"} {
		if _, err := audit.New(nil, audit.WithRequestIDHeader(name)); !errors.Is(err, audit.ErrInvalidHeaderName) {
			t.Errorf("New(WithRequestIDHeader(%q)) error = %v, want ErrInvalidHeaderName", name, err)
		}
	}

	// Middleware cannot fail: it ignores the option and logs it once.
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	var rec audittest.Recorder
	h := audit.Middleware(&rec, audit.WithRequestIDHeader("Bad Header"), audit.WithLogger(logger))(http.NotFoundHandler())
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("X-Request-Id", "inbound")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if !strings.Contains(logs.String(), "ignoring invalid option") || strings.Count(logs.String(), "\n") != 1 {
		t.Errorf("log = %q, want one line about the ignored option", logs.String())
	}
	if id := w.Header().Get("X-Request-Id"); len(id) != 22 {
		t.Errorf("X-Request-Id = %q, want a generated id under the default header", id)
	}
}
