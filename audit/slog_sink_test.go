package audit_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/unioneyes/authkit/audit"
	"github.com/unioneyes/authkit/audit/audittest"
)

func TestSlogSinkConformance(t *testing.T) {
	audittest.Run(t, func(t *testing.T) (audit.Sink, func() []map[string]any) {
		var buf lockedBuffer
		l := slog.New(slog.NewJSONHandler(&buf, nil))
		return audit.SlogSink(l), func() []map[string]any { return buf.records(t) }
	})
}

func TestSlogSinkLevelFromStatus(t *testing.T) {
	for _, tc := range []struct {
		status int
		want   string
	}{
		{0, "INFO"}, {101, "INFO"}, {200, "INFO"}, {304, "INFO"},
		{400, "WARN"}, {404, "WARN"}, {499, "WARN"},
		{500, "ERROR"}, {503, "ERROR"},
	} {
		var buf bytes.Buffer
		sink := audit.SlogSink(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
		if err := sink.Write(context.Background(), &audit.Record{Status: tc.status}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), "level="+tc.want+" msg="+audit.LogMessage+" ") {
			t.Errorf("status %d: %q, want level %s", tc.status, buf.String(), tc.want)
		}
	}
}

func TestSlogSinkSkipsDisabledLevels(t *testing.T) {
	var buf bytes.Buffer
	sink := audit.SlogSink(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn})))
	for _, status := range []int{200, 404} {
		if err := sink.Write(context.Background(), &audit.Record{Status: status}); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Count(buf.String(), "\n") != 1 || !strings.Contains(buf.String(), "http.response.status_code=404") {
		t.Errorf("got %q, want only the 404", buf.String())
	}
}

func TestSlogSinkReturnsHandlerError(t *testing.T) {
	sink := audit.SlogSink(slog.New(slog.NewJSONHandler(failingWriter{}, nil)))
	if err := sink.Write(context.Background(), &audit.Record{}); !errors.Is(err, errWrite) {
		t.Errorf("err = %v, want the handler's error", err)
	}
}

func TestSlogSinkNilLoggerUsesDefault(t *testing.T) {
	var buf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	defer slog.SetDefault(old)
	if err := audit.SlogSink(nil).Write(context.Background(), &audit.Record{UserID: "user_1"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "user.id=user_1") {
		t.Errorf("default logger got %q", buf.String())
	}
}
