// Command server is authkit's drop-in for the auth endpoints of the Django backend it
// replaces: the same paths, the same JSON, Clerk sessions verified the careful way, users
// provisioned on first sight and kept in sync by webhooks, an audit line per request.
//
//	go run ./examples/server        # no variables at all: dev mode, SQLite in ./authkit.db
//
// Configuration is by environment variables only (see the README for the table):
// ADDR, CLERK_JWT_KEY | CLERK_JWKS_URL | CLERK_SECRET_KEY | CLERK_PUBLISHABLE_KEY (the
// first set is the key source; none set means dev mode with a local fake Clerk),
// CLERK_API_URL, CLERK_ISSUER, CLERK_AUTHORIZED_PARTIES, CLERK_WEBHOOK_SECRET (alias
// CLERK_WEBHOOK_SIGNING_SECRET), DATABASE_URL, REDIS_URL, REDIS_PREFIX, TRUSTED_PROXIES,
// CORS_ALLOWED_ORIGINS.
//
// Endpoints:
//
//	GET  /api/auth_core/health/                 {"status":"healthy"}, 503 {"status":"unhealthy","checks":{…}}
//	GET  /api/auth_core/me/                     the signed-in user and active organization
//	POST /api/auth_core/webhooks/clerk/         Clerk's webhooks (Svix-signed)
//	GET  /api/auth_core/orgs/{org_id}/members/  members of the active organization
//	GET  /api/auth_core/orgs/{org_id}/admin/    the same with profiles, for org:admin
//	POST /dev/token, POST /dev/webhook          dev mode only, direct JSON requests from this machine only
//	GET  /, GET /dev/audit                      dev mode only: the dev console and the last 100 audit records
//
// Standard output carries only the audit trail, one JSON line per request; operational
// logs go to standard error. SIGINT or SIGTERM shut the server down gracefully. The exit
// status is 0 after a clean shutdown, 2 for a configuration error, 1 for any other
// failure.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/unioneyes/authkit/examples/server/internal/app"
)

// Exit statuses.
const (
	exitOK     = 0
	exitFailed = 1
	exitConfig = 2
)

// main exits with run's status.
func main() {
	os.Exit(run())
}

// run starts the server and serves until SIGINT or SIGTERM, returning the exit status.
func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	slog.SetDefault(logger)

	cfg, err := app.LoadConfig(os.LookupEnv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "authkit server: %v\n", err)
		return exitConfig
	}
	a, err := app.New(ctx, cfg, app.Options{Logger: logger, Audit: os.Stdout, Banner: os.Stderr})
	if err != nil {
		logger.Error("start-up failed", "error", err)
		return exitFailed
	}
	defer func() {
		if err := a.Close(); err != nil {
			logger.Error("closing", "error", err)
		}
	}()
	if err := a.Serve(ctx); err != nil {
		logger.Error("server failed", "error", err)
		return exitFailed
	}
	return exitOK
}
