// Package audit writes one audit [Record] per HTTP request: when, who (user,
// session, organization, role, how they authenticated or why they were
// refused), what (method, route, path), the outcome (status, bytes,
// duration) and from where (a client address that a client cannot spoof).
//
// It imports no other authkit package: the authentication middleware and the
// organization guards annotate the record through [Annotate], so any
// authentication layer can feed it.
//
// # Flow
//
// The audit middleware goes outermost, so that requests refused by
// authentication (401) or by a guard (403) are recorded too. Inner layers
// add what they know; handlers may add free attributes:
//
//	// Client addresses: this service runs behind a load balancer in 10.0.0.0/8.
//	clientIP, err := audit.RightmostUntrusted("10.0.0.0/8")
//	if err != nil {
//		log.Fatal(err)
//	}
//	auditor, err := audit.New(audit.Config{
//		Sink:            audit.MultiSink(audit.JSONSink(auditFile), audit.SlogSink(logger)),
//		ClientIP:        clientIP,
//		RequestIDHeader: "X-Request-Id", // the load balancer sets it
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//
//	mux := http.NewServeMux()
//	mux.Handle("POST /orgs/{org}/invoices", orgctx.RequireAnyRole("org:admin")(createInvoice))
//
//	// audit → authentication → route capture → mux → guards → handler
//	handler := auditor.Handler(verifier.Middleware()(audit.CaptureRoute(mux)))
//	log.Fatal(http.ListenAndServe(":8080", handler))
//
// Inside, the authentication middleware records the outcome. The failure
// reason is always the text of a sentinel error, never the token and never
// the message of a wrapped error (which may quote the token or its claims):
//
//	audit.Annotate(r.Context(), func(rec *audit.Record) {
//		rec.AuthOutcome = audit.AuthSuccess
//		rec.PrincipalKind = "session_token"
//		rec.UserID, rec.SessionID = sess.UserID, sess.SessionID
//		rec.OrgID, rec.OrgRole = sess.Org.ID, sess.Org.Role
//	})
//	// or, on rejection:
//	audit.Annotate(r.Context(), func(rec *audit.Record) {
//		rec.AuthOutcome = audit.AuthFailure
//		rec.AuthFailure = clerkauth.ErrTokenExpired.Error()
//	})
//
// and a handler adds business context:
//
//	audit.AddAttrs(r.Context(), slog.String("app.invoice.id", inv.ID))
//
// After the handler returns (or panics), the middleware measures status,
// bytes and duration, reads the route pattern, and hands the record to the
// [Sink]. The JSON sink writes lines such as:
//
//	{"time":"2026-01-02T03:04:05Z","http.request.method":"POST","http.route":"POST /orgs/{org}/invoices","url.path":"/orgs/org_1/invoices","http.response.status_code":201,"http.response.body.size":17,"duration":1500000,"client.address":"203.0.113.7","network.peer.address":"10.0.0.2","network.peer.port":41000,"http.request.id":"01J9ZQ3B","user.id":"user_1","session.id":"sess_1","organization.id":"org_1","user.roles":["org:admin"],"authkit.principal.kind":"session_token","event.outcome":"success","app.invoice.id":"inv_1"}
//
// # Field names
//
// Records are emitted under OpenTelemetry semantic-convention names
// (http.request.method, http.route, url.path, http.response.status_code,
// http.response.body.size, client.address, network.peer.address,
// user_agent.original, user.id, session.id, user.roles, error.type), ECS
// names where OpenTelemetry has none (organization.id, http.request.id,
// event.outcome) and "authkit."-prefixed names otherwise; [Record.LogAttrs]
// lists them with their types. duration is a time.Duration: integer
// nanoseconds in JSON.
//
// # Client address
//
// [Record.ClientIP] comes from an explicit [ClientIPStrategy]: [RemoteAddr]
// (the default), [RightmostUntrusted] for X-Forwarded-For behind proxies
// listed by CIDR, or [SingleHeader] for a CDN header such as
// CF-Connecting-IP. A header is believed only when the TCP peer is a trusted
// proxy, and the strategies fail closed on malformed input: a spoofed header
// never changes the recorded address. [Record.PeerAddr] always holds the TCP
// peer.
//
// # Request id
//
// Every request gets an id (128 random bits, URL-safe), echoed in the
// X-Request-Id response header and available to handlers through
// [RequestID]. [Config.RequestIDHeader] accepts a validated inbound id
// instead.
//
// # Privacy
//
// No query string, no headers but the User-Agent, no cookies, no bodies. The
// path is recorded as received; for routes that carry secrets in the path,
// overwrite it (rec.Path = rec.Route) with [Annotate]. Values handlers add
// can be wrapped in [Secret], [Redact] or [Mask], and attributes under
// credential-like keys are redacted whatever their value
// ([Config.RedactedKeys]).
//
// # Bounds
//
// The middleware keeps at most 2 KiB of the path and 512 bytes of the
// User-Agent: a longer value is cut at a UTF-8 character boundary and ends
// with "…", the whole within the bound. The other fields the middleware
// fills are bounded by construction (the method is folded to [MethodOther],
// an inbound request id is validated); what [Annotate] and [AddAttrs] add
// is the application's to bound.
//
// # Sinks
//
// [SlogSink] logs through a *slog.Logger with a level that follows the
// status, [JSONSink] writes JSON lines, [MultiSink] fans out and
// [DiscardSink] drops records. Any type with a Write(ctx, *Record) error
// method is a sink; the audittest package checks third-party sinks against
// the contract, the way testing/slogtest checks slog handlers, and its
// Recorder captures records in tests. Sink failures never fail a request:
// they are counted ([Auditor.SinkErrors]) and the first is logged.
//
// # Design notes
//
// The package imports no other authkit package, so that any
// authentication layer can feed it through [Annotate]; the failure reason
// is a sentinel's text because a wrapped error's message may quote the
// token or its claims. The middleware goes outermost so that refusals are
// recorded too. Client addresses come from a strategy chosen explicitly
// because headers such as X-Forwarded-For are written by whoever sends the
// request: only a header a trusted proxy wrote can be believed. The path
// and User-Agent are bounded because a client chooses them and net/http
// accepts each up to about 1 MiB: recorded verbatim, they would let any
// client inflate every record it causes. A sink never fails a request
// because the audit trail must not become a way to take the service down.
package audit
