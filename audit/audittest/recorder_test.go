package audittest_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/audit"
	"github.com/unioneyes/authkit/audit/audittest"
)

func TestRecorderConformance(t *testing.T) {
	audittest.Run(t, func(t *testing.T) (audit.Sink, func() []map[string]any) {
		rec := &audittest.Recorder{}
		return rec, rec.Maps
	})
}

func TestRecorderCopies(t *testing.T) {
	var rec audittest.Recorder
	_, ok := rec.Last()
	require.False(t, ok, "Last on an empty recorder reported a record")
	r := &audit.Record{UserID: "user_1", Attrs: []slog.Attr{slog.String("k", "v")}}
	require.NoError(t, rec.Write(context.Background(), r))
	r.Attrs[0] = slog.String("k", "changed") // the writer's slice changes later
	got := rec.Records()
	got[0].Attrs[0] = slog.String("k", "changed too") // so does the caller's copy
	last, ok := rec.Last()
	require.True(t, ok)
	assert.Equal(t, "user_1", last.UserID, "the record as written")
	assert.Equal(t, "v", last.Attrs[0].Value.String(), "the record as written")
	rec.Reset()
	assert.Empty(t, rec.Records(), "after Reset")
}

func TestJSONLines(t *testing.T) {
	got, err := audittest.JSONLines([]byte("{\"a\":1}\n{\"b\":\"x\"}\n"))
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, "x", got[1]["b"])
	_, err = audittest.JSONLines([]byte("{\"a\":1}\nnot json\n"))
	assert.Error(t, err, "JSONLines accepted garbage")
}

// brokenSink drops the user id: the kit must notice. Run's failures are
// observed through a sub-test whose outcome is inspected.
type brokenSink struct{ audittest.Recorder }

func (b *brokenSink) Write(ctx context.Context, r *audit.Record) error {
	c := *r
	c.UserID = ""
	return b.Recorder.Write(ctx, &c)
}

type mutatingSink struct{ audittest.Recorder }

func (m *mutatingSink) Write(ctx context.Context, r *audit.Record) error {
	r.Path = "/changed"
	return m.Recorder.Write(ctx, r)
}

type secretLeakingSink struct{ audittest.Recorder }

func (s *secretLeakingSink) Maps() []map[string]any {
	maps := s.Recorder.Maps()
	for i, rec := range s.Records() {
		for _, a := range rec.Attrs {
			if sec, ok := a.Value.Any().(audit.Secret); ok {
				maps[i][a.Key] = string(sec) // an encoder that ignores LogValuer
			}
		}
	}
	return maps
}

var brokenSinks = map[string]struct {
	newSink func(*testing.T) (audit.Sink, func() []map[string]any)
	symptom string // what the kit must report
}{
	"drops-field": {
		func(*testing.T) (audit.Sink, func() []map[string]any) { s := &brokenSink{}; return s, s.Maps },
		"user.id: missing",
	},
	"modifies-record": {
		func(*testing.T) (audit.Sink, func() []map[string]any) { s := &mutatingSink{}; return s, s.Maps },
		"Write modified the record",
	},
	"leaks-secret": {
		func(*testing.T) (audit.Sink, func() []map[string]any) { s := &secretLeakingSink{}; return s, s.Maps },
		`output contains "hunter2-secret"`,
	},
}

// TestRunDetectsBrokenSinks checks that the kit fails on sinks that break
// the contract. Run needs a *testing.T whose failure would fail this test
// too, so each broken sink runs in a child process of the test binary.
func TestRunDetectsBrokenSinks(t *testing.T) {
	for name, bs := range brokenSinks {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenSinkProcess$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), "AUDITTEST_BROKEN_SINK="+name)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			require.True(t, errors.As(err, &exit), "Run did not fail for a sink that %s (err %v):\n%s", name, err, out)
			require.Contains(t, string(out), "--- FAIL: TestBrokenSinkProcess", "Run did not fail for a sink that %s", name)
			assert.Contains(t, string(out), bs.symptom, "Run failed without reporting the symptom")
		})
	}
}

// TestBrokenSinkProcess is the child process of TestRunDetectsBrokenSinks;
// run normally, it skips.
func TestBrokenSinkProcess(t *testing.T) {
	name := os.Getenv("AUDITTEST_BROKEN_SINK")
	if name == "" {
		t.Skip("run as a child process by TestRunDetectsBrokenSinks")
	}
	audittest.Run(t, brokenSinks[name].newSink)
}
