package audit

import (
	"context"
	"log/slog"
)

// LogMessage is the message of the slog records written by [SlogSink].
const LogMessage = "audit"

// SlogSink returns a sink that writes each record as one slog record with
// message [LogMessage], the record's [Record.Time] as its time, and
// [Record.LogAttrs] as its attributes. The level follows the status: Error
// for 5xx (and for panics, which are recorded as 500), Warn for 4xx, Info
// otherwise. Records below the handler's level are skipped.
//
// Unlike slog.Logger's own methods, Write returns the handler's error, so
// the middleware can count it. A nil logger means slog.Default() at the
// time of writing.
func SlogSink(l *slog.Logger) Sink { return slogSink{l: l} }

type slogSink struct{ l *slog.Logger }

func (s slogSink) Write(ctx context.Context, r *Record) error {
	l := s.l
	if l == nil {
		l = slog.Default()
	}
	level := levelFor(r.Status)
	h := l.Handler()
	if !h.Enabled(ctx, level) {
		return nil
	}
	return h.Handle(ctx, newSlogRecord(r, level, LogMessage))
}

func newSlogRecord(r *Record, level slog.Level, msg string) slog.Record {
	var buf [24]slog.Attr
	sr := slog.NewRecord(r.Time, level, msg, 0)
	sr.AddAttrs(r.LogAttrs(buf[:0])...)
	return sr
}

// levelFor maps a response status to a log level.
func levelFor(status int) slog.Level {
	switch {
	case status >= 500:
		return slog.LevelError
	case status >= 400:
		return slog.LevelWarn
	}
	return slog.LevelInfo
}
