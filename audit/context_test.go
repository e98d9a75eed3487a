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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
	assert.Equal(t, audit.AuthSuccess, got.AuthOutcome)
	assert.Equal(t, "session_token", got.PrincipalKind)
	assert.Equal(t, "user_1", got.UserID)
	assert.Equal(t, "sess_1", got.SessionID)
	assert.Equal(t, "org_1", got.OrgID)
	assert.Equal(t, "org:admin", got.OrgRole)
	assert.Equal(t, http.StatusNoContent, got.Status, "the measured status")
	require.Len(t, got.Attrs, 1)
	assert.Equal(t, "app.invoice.id=inv_1", got.Attrs[0].String())
}

func TestAnnotateWithoutMiddlewareIsNoop(t *testing.T) {
	called := false
	audit.Annotate(context.Background(), func(*audit.Record) { called = true })
	audit.Annotate(context.Background(), nil)
	audit.AddAttrs(context.Background(), slog.Int("x", 1))
	assert.False(t, called, "Annotate called fn without an audit record in the context")
	assert.Empty(t, audit.RequestID(context.Background()))
	ip, ok := audit.ClientIP(context.Background())
	assert.False(t, ok)
	assert.False(t, ip.IsValid())
}

// retainSink keeps the record pointer, as an asynchronous sink may.
type retainSink struct{ rec *audit.Record }

func TestAnnotateConcurrentAndLate(t *testing.T) {
	const workers, perWorker = 16, 8
	var sink retainSink
	late := make(chan context.Context, 1)
	h := middleware(t, &sink)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
	require.NotNil(t, got, "no record written")
	assert.Len(t, got.Attrs, workers*perWorker)
	seen := make(map[int64]bool)
	for _, a := range got.Attrs {
		seen[a.Value.Int64()] = true
	}
	assert.Len(t, seen, workers*perWorker, "distinct attrs")

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
	assert.Equal(t, "user_1", got.UserID, "record changed after it reached the sink")
	assert.Len(t, got.Attrs, workers*perWorker, "record changed after it reached the sink")
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

	served := false
	h := middleware(t, nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served = true
		ctx := r.Context()
		d, ok := ctx.Deadline()
		assert.True(t, ok && d.Equal(deadline), "deadline lost")
		assert.Equal(t, "v", ctx.Value(valueKey{}), "parent value lost")
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
		assert.Less(t, runtime.NumGoroutine()-before, 50, "goroutines started for child contexts")
		afterFunc := make(chan struct{})
		context.AfterFunc(ctx, func() { close(afterFunc) })

		cancel(errCause)
		for _, c := range children {
			<-c.Done()
		}
		<-afterFunc
		assert.Equal(t, context.Canceled, ctx.Err())
		assert.Equal(t, errCause, context.Cause(ctx))
		assert.NotEmpty(t, fmt.Sprint(ctx))
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil).WithContext(parent))
	assert.True(t, served)
}
