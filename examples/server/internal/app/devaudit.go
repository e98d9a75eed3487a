package app

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sync"

	"github.com/unioneyes/authkit/audit"
)

// devAuditRecords is how many audit records dev mode keeps in memory for the console.
const devAuditRecords = 100

// auditRing is dev mode's memory of the last audit records, an audit.Sink that the
// server writes to besides its audit trail, and that GET /dev/audit serves to the
// console. Each record is kept as the JSON object audit.JSONSink writes (the keys of the
// audit trail, no token ever). The console's own requests (its page, script and style,
// and GET /dev/audit itself) are left out, so that the console's polling never pushes
// out the requests the developer is looking at.
type auditRing struct {
	json audit.Sink // audit.JSONSink writing to ringWriter

	mu    sync.Mutex
	lines [][]byte // a ring of len(lines) records; lines[next] is the oldest once full
	next  int
	full  bool
}

// newAuditRing returns a ring that keeps the last size records.
func newAuditRing(size int) *auditRing {
	r := &auditRing{lines: make([][]byte, size)}
	r.json = audit.JSONSink(ringWriter{r})
	return r
}

// Write implements audit.Sink.
func (r *auditRing) Write(ctx context.Context, rec *audit.Record) error {
	if devConsoleRoute(rec.Route) {
		return nil
	}
	return r.json.Write(ctx, rec)
}

// ringWriter receives audit.JSONSink's output, one record per Write call.
type ringWriter struct{ r *auditRing }

// Write keeps a copy of one JSON record, pushing out the oldest when the ring is full.
func (w ringWriter) Write(p []byte) (int, error) {
	line := bytes.Clone(bytes.TrimRight(p, "\n"))
	r := w.r
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines[r.next] = line
	r.next = (r.next + 1) % len(r.lines)
	if r.next == 0 {
		r.full = true
	}
	return len(p), nil
}

// Records returns the records kept, newest first.
func (r *auditRing) Records() []json.RawMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.next
	if r.full {
		n = len(r.lines)
	}
	out := make([]json.RawMessage, 0, n)
	for i := 1; i <= n; i++ {
		out = append(out, r.lines[(r.next-i+len(r.lines))%len(r.lines)])
	}
	return out
}

// devAuditResponse is the body of GET /dev/audit.
type devAuditResponse struct {
	Records []json.RawMessage `json:"records"` // newest first
}

// ServeHTTP answers GET /dev/audit: the records kept, newest first.
func (r *auditRing) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, devAuditResponse{Records: r.Records()})
}
