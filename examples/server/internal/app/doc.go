// Package app is the example server of authkit, a drop-in for the auth endpoints of the
// Django backend it replaces: configuration from environment variables ([LoadConfig]),
// the stores, the session verifier, the webhook endpoint and the middleware chain
// ([New]), and an HTTP server with production timeouts and graceful shutdown
// ([App.Serve]).
//
// It lives in an internal package so that the command (examples/server) and the load
// test (examples/server/loadtest) run the very same server; a team adopting it copies
// the directory and renames the import path.
//
//	cfg, err := app.LoadConfig(os.LookupEnv)
//	if err != nil {
//		fmt.Fprintln(os.Stderr, err) // every bad variable, at once; secrets never quoted
//		os.Exit(2)
//	}
//	a, err := app.New(ctx, cfg, app.Options{Logger: logger, Audit: os.Stdout, Banner: os.Stderr})
//	if err != nil {
//		logger.Error("start-up failed", "error", err)
//		os.Exit(1)
//	}
//	defer a.Close()
//	err = a.Serve(ctx) // until ctx ends (SIGINT, SIGTERM), then a graceful shutdown
//
// The request path, outermost first:
//
//	audit (one JSON line per request on stdout)
//	  → CORS (the configured origins only, with credentials; the routes' methods)
//	    → routes: health and webhook as they are;
//	              /me and /orgs/… behind the Clerk middleware and the org guards;
//	              /dev/… and the dev console at / in dev mode only, for direct
//	              requests from this machine only (loopback peer and Host, no
//	              forwarding header, a local Origin if any, JSON bodies)
//
// In dev mode the audit records also go to a ring of the last 100, which the console
// reads at GET /dev/audit.
package app
