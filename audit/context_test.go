package audit_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/unioneyes/authkit/audit"
)

// innerKey is the context key an inner middleware of TestAnnotate sets.
type innerKey struct{}

func TestAnnotate(t *testing.T) {
	auth := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			audit.Annotate(r.Context(), func(rec *audit.Record) {
				rec.AuthOutcome = audit.AuthSuccess
				rec.PrincipalKind = "session_token"
				rec.UserID, rec.SessionID = "user_1", "sess_1"
				rec.OrgID, rec.OrgRole = "org_1", "org:admin"
				rec.Status = 999 // measured fields are overwritten
			})
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), innerKey{}, 1)))
		})
	}
	h := auth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		audit.AddAttrs(r.Context(), slog.String("app.invoice.id", "inv_1"))
		audit.AddAttrs(r.Context())
		w.WriteHeader(http.StatusNoContent)
	}))
	got, _ := record(t, h, httptest.NewRequest("DELETE", "/invoices/inv_1", nil))
	if got.AuthOutcome != audit.AuthSuccess || got.PrincipalKind != "session_token" ||
		got.UserID != "user_1" || got.SessionID != "sess_1" || got.OrgID != "org_1" || got.OrgRole != "org:admin" {
		t.Errorf("identity not recorded: %+v", got)
	}
	if got.Status != http.StatusNoContent {
		t.Errorf("Status = %d, want the measured 204", got.Status)
	}
	if len(got.Attrs) != 1 || got.Attrs[0].String() != "app.invoice.id=inv_1" {
		t.Errorf("Attrs = %v", got.Attrs)
	}
}

func TestAnnotateWithoutMiddlewareIsNoop(t *testing.T) {
	called := false
	audit.Annotate(context.Background(), func(*audit.Record) { called = true })
	audit.Annotate(context.Background(), nil)
	audit.AddAttrs(context.Background(), slog.Int("x", 1))
	if called {
		t.Error("Annotate called fn without an audit record in the context")
	}
	if id := audit.RequestID(context.Background()); id != "" {
		t.Errorf("RequestID = %q, want empty", id)
	}
	if ip, ok := audit.ClientIP(context.Background()); ok || ip.IsValid() {
		t.Errorf("ClientIP = %v, %v; want invalid, false", ip, ok)
	}
}

// retainSink keeps the record pointer, as an asynchronous sink may.
type retainSink struct{ rec *audit.Record }

func TestAnnotateConcurrentAndLate(t *testing.T) {
	const workers, perWorker = 16, 8
	var sink retainSink
	late := make(chan context.Context, 1)
	h := audit.Middleware(&sink)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		var wg sync.WaitGroup
		for i := range workers {
			wg.Go(func() {
				var inner sync.WaitGroup
				for j := range perWorker {
					inner.Go(func() { // nested goroutines
						audit.AddAttrs(ctx, slog.Int("app.n", i*perWorker+j))
						audit.Annotate(ctx, func(rec *audit.Record) { rec.UserID = "user_1" })
						_ = audit.RequestID(ctx)
						_, _ = audit.ClientIP(ctx)
					})
				}
				inner.Wait()
			})
		}
		wg.Wait()
		late <- ctx
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	got := sink.rec
	if got == nil {
		t.Fatal("no record written")
	}
	if len(got.Attrs) != workers*perWorker {
		t.Errorf("got %d attrs, want %d", len(got.Attrs), workers*perWorker)
	}
	seen := make(map[int64]bool)
	for _, a := range got.Attrs {
		seen[a.Value.Int64()] = true
	}
	if len(seen) != workers*perWorker {
		t.Errorf("got %d distinct attrs, want %d", len(seen), workers*perWorker)
	}

	// A goroutine that outlives the handler annotates after the record was
	// handed to the sink: ignored, so the sink's record never changes (and
	// -race sees no conflicting access).
	ctx := <-late
	done := make(chan struct{})
	go func() {
		defer close(done)
		audit.Annotate(ctx, func(rec *audit.Record) { rec.UserID = "too_late" })
		audit.AddAttrs(ctx, slog.Bool("app.late", true))
	}()
	<-done
	if got.UserID != "user_1" || len(got.Attrs) != workers*perWorker {
		t.Errorf("record changed after it reached the sink: UserID %q, %d attrs", got.UserID, len(got.Attrs))
	}
}

// TestRequestContextBehaves checks that the context the handler receives
// behaves like its parent: values, deadline, cancellation, cause, and
// cheap propagation to child contexts (no watcher goroutine per child).
func TestRequestContextBehaves(t *testing.T) {
	deadline := time.Now().Add(time.Hour)
	parent, cancelDeadline := context.WithDeadline(context.WithValue(context.Background(), valueKey{}, "v"), deadline)
	defer cancelDeadline()
	parent, cancel := context.WithCancelCause(parent)
	errCause := errors.New("client went away")

	var checks []string
	h := audit.Middleware(nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if d, ok := ctx.Deadline(); !ok || !d.Equal(deadline) {
			checks = append(checks, "deadline lost")
		}
		if ctx.Value(valueKey{}) != "v" {
			checks = append(checks, "parent value lost")
		}
		before := runtime.NumGoroutine()
		children := make([]context.Context, 100)
		cancels := make([]context.CancelFunc, len(children))
		for i := range children {
			children[i], cancels[i] = context.WithCancel(ctx)
		}
		defer func() {
			for _, c := range cancels {
				c()
			}
		}()
		if n := runtime.NumGoroutine() - before; n >= 50 {
			checks = append(checks, fmt.Sprintf("%d goroutines started for child contexts", n))
		}
		afterFunc := make(chan struct{})
		context.AfterFunc(ctx, func() { close(afterFunc) })

		cancel(errCause)
		for _, c := range children {
			<-c.Done()
		}
		<-afterFunc
		if ctx.Err() != context.Canceled || context.Cause(ctx) != errCause {
			checks = append(checks, fmt.Sprintf("Err %v, Cause %v", ctx.Err(), context.Cause(ctx)))
		}
		if fmt.Sprint(ctx) == "" {
			checks = append(checks, "empty String")
		}
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil).WithContext(parent))
	for _, c := range checks {
		t.Error(c)
	}
}
