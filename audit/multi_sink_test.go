package audit_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

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
			assert.Len(t, rec.Records(), len(got), "sinks disagree")
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
		assert.ErrorIs(t, err, want)
	}
	r, ok := rec.Last()
	assert.True(t, ok, "a failing or panicking sink stopped the others")
	assert.Equal(t, "user_1", r.UserID, "a failing or panicking sink stopped the others")
	assert.NoError(t, audit.MultiSink().Write(context.Background(), &audit.Record{}), "empty MultiSink")
}

func TestMultiSinkCopiesSlice(t *testing.T) {
	rec := &audittest.Recorder{}
	sinks := []audit.Sink{rec}
	m := audit.MultiSink(sinks...)
	sinks[0] = panicSink{}
	assert.NoError(t, m.Write(context.Background(), &audit.Record{}), "MultiSink used the caller's slice after construction")
}
