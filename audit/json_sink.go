package audit

import (
	"context"
	"io"
	"log/slog"
)

// JSONSink returns a sink that writes each record to w as one line of JSON:
// an object with "time" (RFC 3339 with nanoseconds, omitted when
// [Record.Time] is zero) followed by the keys of [Record.LogAttrs] in order.
// Durations are integer nanoseconds; free attribute groups become nested
// objects; values implementing slog.LogValuer (such as [Secret]) are
// resolved first. For example:
//
//	{"time":"2026-01-02T03:04:05Z","http.request.method":"GET","http.route":"GET /orgs/{org}",...}
//
// The sink is safe for concurrent use: each record is written with a single
// call to w.Write, and calls are serialized. Write errors are returned to
// the middleware, which counts them. A nil w makes every Write fail with
// [ErrNoWriter].
func JSONSink(w io.Writer) Sink {
	if w == nil {
		return jsonSink{}
	}
	return jsonSink{h: slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level:       slog.LevelDebug,
		ReplaceAttr: dropLevelAndMessage,
	})}
}

type jsonSink struct{ h slog.Handler }

func (s jsonSink) Write(ctx context.Context, r *Record) error {
	if s.h == nil {
		return ErrNoWriter
	}
	return s.h.Handle(ctx, newSlogRecord(r, slog.LevelInfo, ""))
}

// dropLevelAndMessage removes the level and message slog handlers always
// write; an audit line has neither. (Free attributes cannot use these keys:
// Record.LogAttrs drops them.)
func dropLevelAndMessage(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && (a.Key == slog.LevelKey || a.Key == slog.MessageKey) {
		return slog.Attr{}
	}
	return a
}
