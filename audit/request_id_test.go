package audit_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/audit"
	"github.com/unioneyes/authkit/audit/audittest"
)

func TestRequestIDGenerated(t *testing.T) {
	var rec audittest.Recorder
	var inHandler []string
	h := middleware(t, &rec)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inHandler = append(inHandler, audit.RequestID(r.Context()))
	}))
	seen := make(map[string]bool)
	for i := range 100 {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("X-Request-Id", "client-chosen") // not trusted by default
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		id := w.Header().Get("X-Request-Id")
		require.Len(t, id, 22)
		require.Empty(t, strings.Trim(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), "generated id %q is not URL-safe", id)
		require.False(t, seen[id], "id %q generated twice", id)
		seen[id] = true
		require.Equal(t, id, inHandler[i], "the handler's id")
		require.Equal(t, id, rec.Records()[i].RequestID, "the record's id")
	}
}

func TestRequestIDInbound(t *testing.T) {
	max := strings.Repeat("a", 128)
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
			got, w := record(t, http.NotFoundHandler(), req, audit.Config{RequestIDHeader: "x-correlation-id"})
			assert.Equal(t, got.RequestID, w.Header().Get("X-Correlation-Id"), "echoed")
			assert.Empty(t, w.Header().Get("X-Request-Id"), "default header set although another was configured")
			if tc.accepted {
				assert.Equal(t, tc.values[0], got.RequestID, "the inbound id")
				return
			}
			assert.Len(t, got.RequestID, 22, "a generated id")
			if len(tc.values) > 0 {
				assert.NotEqual(t, tc.values[0], got.RequestID, "a generated id")
			}
		})
	}
}

func TestInvalidRequestIDHeader(t *testing.T) {
	for _, name := range []string{"Bad Header", "x-id\n", "a:b", "ü"} {
		a, err := audit.New(audit.Config{RequestIDHeader: name})
		require.ErrorIs(t, err, audit.ErrInvalidConfig, "%q", name)
		var cerr *audit.ConfigError
		require.ErrorAs(t, err, &cerr)
		assert.Equal(t, "Config.RequestIDHeader", cerr.Field)
		assert.Nil(t, a)
	}
}
