package audittest

import (
	"context"
	"log/slog"
	"slices"
	"sync"

	"github.com/unioneyes/authkit/audit"
)

// Recorder is an [audit.Sink] that keeps a copy of every record in memory.
// The zero value is ready to use; it is safe for concurrent use.
type Recorder struct {
	mu   sync.Mutex
	recs []audit.Record
}

var _ audit.Sink = (*Recorder)(nil)

// Write stores a copy of r (its Attrs slice is copied too).
func (rec *Recorder) Write(_ context.Context, r *audit.Record) error {
	c := *r
	c.Attrs = slices.Clone(r.Attrs)
	rec.mu.Lock()
	rec.recs = append(rec.recs, c)
	rec.mu.Unlock()
	return nil
}

// Records returns copies of the records written so far, oldest first.
func (rec *Recorder) Records() []audit.Record {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	out := make([]audit.Record, len(rec.recs))
	for i, r := range rec.recs {
		out[i] = r
		out[i].Attrs = slices.Clone(r.Attrs)
	}
	return out
}

// Last returns a copy of the most recent record; ok is false when none has
// been written.
func (rec *Recorder) Last() (r audit.Record, ok bool) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.recs) == 0 {
		return audit.Record{}, false
	}
	r = rec.recs[len(rec.recs)-1]
	r.Attrs = slices.Clone(r.Attrs)
	return r, true
}

// Reset forgets every record.
func (rec *Recorder) Reset() {
	rec.mu.Lock()
	rec.recs = nil
	rec.mu.Unlock()
}

// Maps returns the records written so far as the maps a sink emitting
// [audit.Record.LogAttrs] would produce: the record time under
// [audit.KeyTime] (when not zero), every attribute under its key, values
// resolved (slog.LogValuer), groups as nested maps. Its signature makes it
// the result function of [Run].
func (rec *Recorder) Maps() []map[string]any {
	recs := rec.Records()
	out := make([]map[string]any, len(recs))
	for i := range recs {
		out[i] = RecordMap(&recs[i])
	}
	return out
}

// RecordMap returns r as the map a conforming sink emits: [audit.KeyTime]
// (when r.Time is not zero) and [audit.Record.LogAttrs], with values
// resolved and groups as nested maps. Numbers keep their Go types (int64,
// uint64, float64, time.Duration), times are time.Time.
func RecordMap(r *audit.Record) map[string]any {
	m := make(map[string]any)
	if !r.Time.IsZero() {
		m[audit.KeyTime] = r.Time
	}
	addAttrs(m, r.LogAttrs(nil))
	return m
}

func addAttrs(m map[string]any, attrs []slog.Attr) {
	for _, a := range attrs {
		v := a.Value.Resolve()
		if v.Kind() == slog.KindGroup {
			g := v.Group()
			if len(g) == 0 {
				continue // slog handlers drop empty groups
			}
			if a.Key == "" {
				addAttrs(m, g) // inlined, as slog handlers do
				continue
			}
			sub := make(map[string]any)
			addAttrs(sub, g)
			m[a.Key] = sub
			continue
		}
		if a.Key == "" {
			continue
		}
		m[a.Key] = goValue(v)
	}
}

func goValue(v slog.Value) any {
	switch v.Kind() {
	case slog.KindString:
		return v.String()
	case slog.KindInt64:
		return v.Int64()
	case slog.KindUint64:
		return v.Uint64()
	case slog.KindFloat64:
		return v.Float64()
	case slog.KindBool:
		return v.Bool()
	case slog.KindDuration:
		return v.Duration()
	case slog.KindTime:
		return v.Time()
	}
	return v.Any()
}
