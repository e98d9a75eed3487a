package audit

import "context"

// A Sink receives finished audit records.
//
// Write is called once per request, after the handler has returned (or
// panicked), on the request's goroutine, with a context that carries the
// request's values but is never canceled. Write must be safe for concurrent
// use and must not modify r. The middleware never touches a record again
// after handing it to Write, so a sink may keep r (to encode it on another
// goroutine, say) as long as it only reads it.
//
// A returned error, or a panic, is counted by the middleware (see
// [Auditor.SinkErrors]) and never reaches the client. Write delays the end
// of the response, so a sink that does network I/O should buffer and apply
// its own timeouts.
//
// Sinks should emit [Record.LogAttrs] and [Record.Time] under [KeyTime];
// the audittest package checks a sink against that contract.
type Sink interface {
	Write(ctx context.Context, r *Record) error
}

// DiscardSink returns a sink that drops every record. The middleware uses it
// when given a nil sink.
func DiscardSink() Sink { return discardSink{} }

type discardSink struct{}

func (discardSink) Write(context.Context, *Record) error { return nil }
