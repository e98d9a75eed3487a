package audit_test

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/audit"
)

// benchWriter is a ResponseWriter that costs nothing, so that the
// benchmarks measure the middleware and not the writer. Its header map is
// cleared (keeping its storage) between requests, as a server's would be
// fresh.
type benchWriter struct{ h http.Header }

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *benchWriter) WriteHeader(int)             {}
func (w *benchWriter) Flush()                      {}

var hello = []byte("hello, world\n")

// trivial is the handler under test: status, one short body write.
var trivial = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header()["Content-Type"] = []string{"text/plain"}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(hello)
})

func benchRequest() *http.Request {
	req := httptest.NewRequest("GET", "/orgs/org_1/invoices/inv_1", nil)
	req.Header.Set("User-Agent", "bench/1.0")
	req.Header.Set("X-Forwarded-For", "198.51.100.1, 10.0.0.3")
	req.RemoteAddr = "10.0.0.2:41000"
	return req
}

func benchHandler(b *testing.B, h http.Handler) {
	w := &benchWriter{h: make(http.Header, 4)}
	req := benchRequest()
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, req)
	}
}

// The handlers compared: the bare handler and the same handler behind the
// audit middleware with a discarding sink (default options, and with the
// X-Forwarded-For strategy), plus the JSON sink for reference.
var benchCases = []struct {
	name string
	h    func(testing.TB) http.Handler
}{
	{"bare", func(testing.TB) http.Handler { return trivial }},
	{"audit-discard", func(t testing.TB) http.Handler { return middleware(t, audit.DiscardSink())(trivial) }},
	{"audit-discard-xff", func(t testing.TB) http.Handler {
		clientIP, err := audit.RightmostUntrusted("10.0.0.0/8")
		require.NoError(t, err)
		return newAuditor(t, audit.Config{Sink: audit.DiscardSink(), ClientIP: clientIP}).Handler(trivial)
	}},
}

func BenchmarkMiddleware(b *testing.B) {
	for _, bc := range benchCases {
		b.Run(bc.name, func(b *testing.B) { benchHandler(b, bc.h(b)) })
	}
}

// BenchmarkMiddlewareOverhead measures the bare handler and the audited one
// in the same loop, alternating batches of requests so that both see the
// same machine state, and reports per request:
//
//   - overhead-ns/op: mean audited minus mean bare time per request
//     (target <= 1000), garbage collection amortized in.
//   - overhead-median-ns/op: the same from the median batches, which keeps
//     batches preempted by other processes on a shared machine from skewing
//     the result (but also leaves out most GC work).
//   - overhead-cpu-ns/op (Linux): the same from the CPU time of the
//     benchmark's thread, which does not count time the thread spent
//     descheduled on a loaded machine (nor GC work on other threads).
//   - overhead-allocs/op: audited minus bare allocations (target <= 8).
//   - x-baseline: median audited over median bare batch time.
//
// Its ns/op is the cost of one bare plus one audited request.
func BenchmarkMiddlewareOverhead(b *testing.B) {
	for _, bc := range benchCases[1:] {
		b.Run(bc.name, func(b *testing.B) {
			bare, audited := trivial, bc.h(b)
			w := &benchWriter{h: make(http.Header, 4)}
			req := benchRequest()
			run := func(h http.Handler) time.Duration {
				start := time.Now()
				for range overheadBatch {
					clear(w.h)
					h.ServeHTTP(w, req)
				}
				return time.Since(start)
			}
			batches := max(1, b.N/overheadBatch)
			bareTimes := make([]time.Duration, batches)
			auditedTimes := make([]time.Duration, batches)
			var bareCPU, auditedCPU time.Duration
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			_, cpuOK := threadCPU()
			b.ResetTimer()
			for i := range batches {
				c0, _ := threadCPU()
				bareTimes[i] = run(bare)
				c1, _ := threadCPU()
				auditedTimes[i] = run(audited)
				c2, _ := threadCPU()
				bareCPU += c1 - c0
				auditedCPU += c2 - c1
			}
			b.StopTimer()
			perRequest := func(d time.Duration) float64 { return float64(d) / overheadBatch }
			mean := func(d []time.Duration) float64 {
				var sum time.Duration
				for _, x := range d {
					sum += x
				}
				return perRequest(sum) / float64(len(d))
			}
			median := func(d []time.Duration) float64 {
				slices.Sort(d)
				return perRequest(d[len(d)/2])
			}
			allocs := func(h http.Handler) float64 {
				return testing.AllocsPerRun(100, func() { clear(w.h); h.ServeHTTP(w, req) })
			}
			b.ReportMetric(mean(auditedTimes)-mean(bareTimes), "overhead-ns/op")
			b.ReportMetric(median(auditedTimes)-median(bareTimes), "overhead-median-ns/op")
			if cpuOK {
				b.ReportMetric(float64(auditedCPU-bareCPU)/float64(batches*overheadBatch), "overhead-cpu-ns/op")
			}
			b.ReportMetric(allocs(audited)-allocs(bare), "overhead-allocs/op")
			b.ReportMetric(mean(auditedTimes)/mean(bareTimes), "x-baseline")
		})
	}
}

// overheadBatch is the number of requests timed together: large enough that
// reading the clock is negligible, small enough that most batches escape
// preemption.
const overheadBatch = 64

// TestMiddlewareAllocationBudget enforces the allocation target (not a
// timing): at most 8 allocations per request more than the bare handler,
// with a discarding sink.
func TestMiddlewareAllocationBudget(t *testing.T) {
	allocs := func(h http.Handler) float64 {
		w := &benchWriter{h: make(http.Header, 4)}
		req := benchRequest()
		return testing.AllocsPerRun(1000, func() {
			clear(w.h)
			h.ServeHTTP(w, req)
		})
	}
	bare := allocs(trivial)
	for _, bc := range benchCases[1:] {
		got := allocs(bc.h(t))
		t.Logf("%s: %v allocs/op (bare handler: %v)", bc.name, got, bare)
		assert.LessOrEqual(t, got-bare, 8.0, "%s: allocations per request over the bare handler", bc.name)
	}
}
