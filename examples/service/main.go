// Command service shows machine credentials: an API that integrations call with a key
// rather than a user's session. It accepts
//
//   - service-account keys the service issued itself (machine.StaticKeys), configured
//     by their SHA-256 only, in SERVICE_API_KEY_HASHES;
//   - Clerk's own machine tokens (API keys "ak_…", M2M tokens "mt_…", OAuth access tokens
//     "oat_…"), verified with Clerk's Backend API when CLERK_SECRET_KEY is set;
//   - on /v1/whoami, users' session tokens too (which is why a session key source is
//     required: CLERK_JWT_KEY with CLERK_ISSUER, or CLERK_PUBLISHABLE_KEY).
//
// Issue a key, give it to the client once, configure only its hash:
//
//	go run ./examples/service genkey reports-bot reports:write
//	SERVICE_API_KEY_HASHES='reports-bot:<sha256>:reports:write' \
//	CLERK_PUBLISHABLE_KEY=pk_test_… go run ./examples/service
//	curl -H "Authorization: Bearer svc_…" -d '{"title":"Q3"}' http://localhost:8001/v1/reports
//
// Variables: ADDR (default ":8001"); SERVICE_API_KEY_HASHES, entries separated by ";" or
// white space, each "name:sha256hex" or "name:sha256hex:scope,scope"; CLERK_SECRET_KEY and
// CLERK_API_URL (default https://api.clerk.com/v1); CLERK_JWT_KEY, CLERK_ISSUER or
// CLERK_PUBLISHABLE_KEY. At least one kind of machine credential must be configured.
//
// Routes:
//
//	GET  /v1/whoami   any credential: who is calling, of what kind, with which scopes
//	POST /v1/reports  machine credentials holding the reports:write scope (403 without it)
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/unioneyes/authkit/clerkauth/machine"
)

// main runs "genkey" or the service.
func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) > 1 && os.Args[1] == "genkey" {
		if err := genKey(os.Stdout, os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "service genkey:", err)
			os.Exit(2)
		}
		return
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(ctx, os.LookupEnv, logger); err != nil {
		logger.Error("service stopped", "error", err)
		os.Exit(1)
	}
}

// run configures the verifier from the environment and serves until ctx ends.
func run(ctx context.Context, lookup func(string) (string, bool), logger *slog.Logger) error {
	cfg, err := loadConfig(lookup)
	if err != nil {
		return err
	}
	verifier, closeKeys, err := newVerifier(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer closeKeys()
	handler, err := newHandler(verifier, os.Stdout)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              cfg.addr,
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	served := make(chan error, 1)
	go func() { served <- srv.ListenAndServe() }()
	logger.Info("listening", "addr", cfg.addr, "service_accounts", len(cfg.accounts), "clerk_machine_tokens", cfg.secretKey != "")
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// genKey prints a new service-account key and its SERVICE_API_KEY_HASHES entry:
// "genkey NAME [SCOPE,…]".
func genKey(out io.Writer, args []string) error {
	if len(args) < 1 || len(args) > 2 {
		return errors.New("usage: genkey NAME [SCOPE,SCOPE…]")
	}
	entry := serviceEntry(args[0], "", args[1:]...)
	if _, err := parseAccounts(entry); err != nil { // the name and scopes, checked before a key exists
		return err
	}
	key, err := machine.GenerateAPIKey("svc_")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "key (give it to the client once; it is stored nowhere):\n  %s\nSERVICE_API_KEY_HASHES entry:\n  %s\n",
		key, serviceEntry(args[0], machine.HashAPIKey(key), args[1:]...))
	return err
}

// serviceEntry formats one SERVICE_API_KEY_HASHES entry; an empty hash stands for a valid
// placeholder.
func serviceEntry(name, hash string, scopes ...string) string {
	if hash == "" {
		hash = machine.HashAPIKey("placeholder")
	}
	entry := name + ":" + hash
	if len(scopes) > 0 && scopes[0] != "" {
		entry += ":" + scopes[0]
	}
	return entry
}
