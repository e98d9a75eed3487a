package audit_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
		require.NoError(t, sink.Write(context.Background(), &audit.Record{Status: tc.status}))
		assert.Contains(t, buf.String(), "level="+tc.want+" msg="+audit.LogMessage+" ", "status %d", tc.status)
	}
}

func TestSlogSinkSkipsDisabledLevels(t *testing.T) {
	var buf bytes.Buffer
	sink := audit.SlogSink(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn})))
	for _, status := range []int{200, 404} {
		require.NoError(t, sink.Write(context.Background(), &audit.Record{Status: status}))
	}
	assert.Equal(t, 1, strings.Count(buf.String(), "\n"), "only the 404: %q", buf.String())
	assert.Contains(t, buf.String(), "http.response.status_code=404")
}

func TestSlogSinkReturnsHandlerError(t *testing.T) {
	sink := audit.SlogSink(slog.New(slog.NewJSONHandler(failingWriter{}, nil)))
	assert.ErrorIs(t, sink.Write(context.Background(), &audit.Record{}), errWrite, "the handler's error")
}

func TestSlogSinkNilLoggerUsesDefault(t *testing.T) {
	var buf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	defer slog.SetDefault(old)
	require.NoError(t, audit.SlogSink(nil).Write(context.Background(), &audit.Record{UserID: "user_1"}))
	assert.Contains(t, buf.String(), "user.id=user_1", "the default logger's output")
}
