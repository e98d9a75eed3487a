package audit_test

import (
	"context"
	"errors"
	"testing"

	"github.com/unioneyes/authkit/audit"
	"github.com/unioneyes/authkit/audit/audittest"
)

func TestMultiSinkConformance(t *testing.T) {
	audittest.Run(t, func(t *testing.T) (audit.Sink, func() []map[string]any) {
		var buf lockedBuffer
		rec := &audittest.Recorder{}
		sink := audit.MultiSink(nil, rec, audit.JSONSink(&buf), audit.DiscardSink())
		return sink, func() []map[string]any {
			got := buf.records(t)
			if n := len(rec.Records()); n != len(got) {
				t.Errorf("sinks disagree: recorder has %d records, JSON has %d", n, len(got))
			}
			return got
		}
	})
}

type panicSink struct{}

func (panicSink) Write(context.Context, *audit.Record) error { panic("kaboom") }

type failSink struct{ err error }

func (s failSink) Write(context.Context, *audit.Record) error { return s.err }

func TestMultiSinkErrorsAndPanics(t *testing.T) {
	errA, errB := errors.New("a failed"), errors.New("b failed")
	rec := &audittest.Recorder{}
	sink := audit.MultiSink(failSink{errA}, panicSink{}, rec, failSink{errB})
	err := sink.Write(context.Background(), &audit.Record{UserID: "user_1"})
	for _, want := range []error{errA, errB, audit.ErrSinkPanic} {
		if !errors.Is(err, want) {
			t.Errorf("err = %v, want it to wrap %v", err, want)
		}
	}
	if r, ok := rec.Last(); !ok || r.UserID != "user_1" {
		t.Error("a failing or panicking sink stopped the others")
	}
	if err := audit.MultiSink().Write(context.Background(), &audit.Record{}); err != nil {
		t.Errorf("empty MultiSink: %v", err)
	}
}

func TestMultiSinkCopiesSlice(t *testing.T) {
	rec := &audittest.Recorder{}
	sinks := []audit.Sink{rec}
	m := audit.MultiSink(sinks...)
	sinks[0] = panicSink{}
	if err := m.Write(context.Background(), &audit.Record{}); err != nil {
		t.Errorf("MultiSink used the caller's slice after construction: %v", err)
	}
}
