package audit_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/unioneyes/authkit/audit"
	"github.com/unioneyes/authkit/audit/audittest"
)

// The audit middleware goes outermost; an authentication layer annotates
// the record with the identity it verified; the handler adds business
// attributes. The clock and the inbound request id are fixed so the output
// is stable.
func Example() {
	var out bytes.Buffer
	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clientIP, err := audit.RightmostUntrusted("10.0.0.0/8") // the load balancers
	if err != nil {
		panic(err)
	}
	auditor, err := audit.New(audit.Config{
		Sink:            audit.JSONSink(&out),
		ClientIP:        clientIP,
		RequestIDHeader: "X-Request-Id",
		Now: func() time.Time {
			now := clock
			clock = clock.Add(1500 * time.Microsecond)
			return now
		},
	})
	if err != nil {
		panic(err)
	}

	// Stand-in for clerkauth's middleware: it verified a session token.
	auth := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			audit.Annotate(r.Context(), func(rec *audit.Record) {
				rec.AuthOutcome = audit.AuthSuccess
				rec.PrincipalKind = "session_token"
				rec.UserID, rec.SessionID = "user_1", "sess_1"
				rec.OrgID, rec.OrgRole = "org_1", "org:admin"
			})
			next.ServeHTTP(w, r)
		})
	}

	mux := http.NewServeMux()
	mux.HandleFunc("POST /orgs/{org}/invoices", func(w http.ResponseWriter, r *http.Request) {
		audit.AddAttrs(r.Context(), slog.String("app.invoice.id", "inv_1"))
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"id":"inv_1"}`)
	})

	handler := auditor.Handler(auth(mux))

	req := httptest.NewRequest("POST", "/orgs/org_1/invoices?draft=1", nil)
	req.RemoteAddr = "10.0.0.2:41000"                         // the load balancer
	req.Header.Set("X-Forwarded-For", "6.6.6.6, 203.0.113.7") // a spoofed entry, then the real client
	req.Header.Set("X-Request-Id", "req-0001")
	req.Header.Set("User-Agent", "example/1.0")
	w := httptest.NewRecorder()
	handler.ServeHTTP(w, req)

	fmt.Println("X-Request-Id:", w.Header().Get("X-Request-Id"))
	fmt.Print(out.String())
	// Output:
	// X-Request-Id: req-0001
	// {"time":"2026-01-02T03:04:05Z","http.request.method":"POST","http.route":"POST /orgs/{org}/invoices","url.path":"/orgs/org_1/invoices","http.response.status_code":201,"http.response.body.size":14,"duration":1500000,"client.address":"203.0.113.7","network.peer.address":"10.0.0.2","network.peer.port":41000,"user_agent.original":"example/1.0","http.request.id":"req-0001","user.id":"user_1","session.id":"sess_1","organization.id":"org_1","user.roles":["org:admin"],"authkit.principal.kind":"session_token","event.outcome":"success","app.invoice.id":"inv_1"}
}

// An authentication layer records a rejection with the sentinel's text,
// never the token or a wrapped error's message.
func ExampleAnnotate() {
	errTokenExpired := errors.New("clerkauth: token expired") // stands for clerkauth.ErrTokenExpired

	var out bytes.Buffer
	auditor, err := audit.New(audit.Config{Sink: audit.SlogSink(slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			switch a.Key {
			case slog.TimeKey, "duration", "http.request.id":
				return slog.Attr{} // varying values, dropped to keep the example stable
			}
			return a
		},
	})))})
	if err != nil {
		panic(err)
	}
	handler := auditor.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		audit.Annotate(r.Context(), func(rec *audit.Record) {
			rec.AuthOutcome = audit.AuthFailure
			rec.AuthFailure = errTokenExpired.Error()
		})
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
	}))

	handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/me", nil))
	fmt.Print(out.String())
	// Output:
	// level=WARN msg=audit http.request.method=GET url.path=/me http.response.status_code=401 http.response.body.size=13 client.address=192.0.2.1 network.peer.address=192.0.2.1 network.peer.port=1234 event.outcome=failure error.type="clerkauth: token expired"
}

// Behind a proxy, trust X-Forwarded-For only from the proxy's addresses.
func ExampleRightmostUntrusted() {
	strategy, err := audit.RightmostUntrusted("10.0.0.0/8", "fd00::/8")
	if err != nil {
		panic(err)
	}
	for _, tc := range []struct{ peer, xff string }{
		{"10.0.0.2:5000", "203.0.113.7"},                 // via the proxy
		{"10.0.0.2:5000", "6.6.6.6, 203.0.113.7"},        // a client-forged entry on the left is ignored
		{"10.0.0.2:5000", "203.0.113.7, 10.0.0.3"},       // trusted hops are skipped
		{"198.51.100.9:5000", "203.0.113.7"},             // not from the proxy: the header is ignored
		{"10.0.0.2:5000", "203.0.113.7, not-an-address"}, // malformed: fail closed
	} {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = tc.peer
		req.Header.Set("X-Forwarded-For", tc.xff)
		fmt.Println(strategy.ClientIP(req))
	}
	// Output:
	// 203.0.113.7
	// 203.0.113.7
	// 203.0.113.7
	// 198.51.100.9
	// invalid IP
}

// Sink failures never fail a request; they are counted and the first one is
// logged.
func ExampleAuditor_SinkErrors() {
	auditor, err := audit.New(audit.Config{
		Sink:   audit.JSONSink(nil), // a misconfigured sink
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		panic(err)
	}
	handler := auditor.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "ok")
	}))
	for range 3 {
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
		fmt.Println(w.Code, w.Body.String())
	}
	fmt.Println("sink errors:", auditor.SinkErrors())
	// Output:
	// 200 ok
	// 200 ok
	// 200 ok
	// sink errors: 3
}

// Values a handler adds can be redacted by type, by helper, or by key.
func ExampleSecret() {
	var out bytes.Buffer
	auditor, err := audit.New(audit.Config{Sink: audit.JSONSink(&out)})
	if err != nil {
		panic(err)
	}
	handler := auditor.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		audit.AddAttrs(r.Context(),
			slog.Any("app.invite_code", audit.Secret("inv-9f8e7d")),
			slog.Attr{Key: "app.card", Value: audit.Mask("4242424242424242", 4)},
			slog.String("app.password", "hunter2"), // redacted by key
		)
	}))
	req := httptest.NewRequest("GET", "/invite", nil)
	handler.ServeHTTP(httptest.NewRecorder(), req)

	recs, err := audittest.JSONLines(out.Bytes())
	if err != nil {
		panic(err)
	}
	fmt.Println(recs[0]["app.invite_code"], recs[0]["app.card"], recs[0]["app.password"])
	// Output:
	// [REDACTED] ****4242 [REDACTED]
}
