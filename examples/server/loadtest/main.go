// Command loadtest measures the example server's GET /api/auth_core/me/ with valid
// session tokens: requests per second and latency percentiles (p50, p90, p99, max).
//
//	go run ./examples/server/loadtest                 # starts a dev-mode server in this process
//	go run ./examples/server/loadtest -url http://127.0.0.1:8000 -duration 30s -concurrency 64
//
// Without -url it starts the server in process, in dev mode, on 127.0.0.1:0 with a SQLite
// database in a temporary directory (its audit lines are encoded as usual, then
// discarded). With -url it targets a running server in dev mode (it mints its tokens
// with POST /dev/token). Either way it only ever sends traffic to a loopback address,
// and it is bounded: -duration at most 60 s, -concurrency at most 256.
//
// It mints one token per user (-users), sends one request per token to provision the
// users, then keeps -concurrency connections busy for -duration. Any answer but 200 is an
// error, and errors make the exit status 1.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Bounds of the flags.
const (
	defaultDuration    = 10 * time.Second
	maxDuration        = 60 * time.Second
	defaultConcurrency = 16
	maxConcurrency     = 256
	defaultUsers       = 100
	maxUsers           = 10_000
)

// options are the parsed flags.
type options struct {
	url         string
	duration    time.Duration
	concurrency int
	users       int
}

// main runs the load test until done or interrupted; errors exit with status 1.
func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

// run parses args, starts or checks the target, runs the load and writes the report to
// out. Flag usage goes to errOut.
func run(ctx context.Context, args []string, out, errOut io.Writer) error {
	opts, err := parseFlags(args, errOut)
	if err != nil {
		return err
	}
	target, err := startTarget(ctx, opts.url)
	if err != nil {
		return err
	}
	defer target.stop()

	client := newClient(opts.concurrency)
	defer client.CloseIdleConnections()
	tokens, err := mintTokens(ctx, client, target.baseURL, opts.users)
	if err != nil {
		return err
	}
	if err := warmUp(ctx, client, target.baseURL+mePath, tokens); err != nil {
		return err
	}
	res := hammer(ctx, client, target.baseURL+mePath, tokens, opts.concurrency, opts.duration)
	report(out, target, opts, res)
	if res.errors > 0 {
		return fmt.Errorf("%d of %d requests failed (%s)", res.errors, res.errors+len(res.latencies), res.firstError)
	}
	if len(res.latencies) == 0 {
		return errors.New("no request completed")
	}
	return nil
}

// parseFlags reads and bounds the flags.
func parseFlags(args []string, errOut io.Writer) (options, error) {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(errOut)
	var o options
	fs.StringVar(&o.url, "url", "", "base URL of a running dev-mode server on a loopback address (default: start one in process)")
	fs.DurationVar(&o.duration, "duration", defaultDuration, fmt.Sprintf("how long to send requests (at most %v)", maxDuration))
	fs.IntVar(&o.concurrency, "concurrency", defaultConcurrency, fmt.Sprintf("concurrent connections (at most %d)", maxConcurrency))
	fs.IntVar(&o.users, "users", defaultUsers, fmt.Sprintf("distinct users, one token each (at most %d)", maxUsers))
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	switch {
	case fs.NArg() > 0:
		return options{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	case o.duration <= 0 || o.duration > maxDuration:
		return options{}, fmt.Errorf("-duration must be in (0, %v]", maxDuration)
	case o.concurrency < 1 || o.concurrency > maxConcurrency:
		return options{}, fmt.Errorf("-concurrency must be in [1, %d]", maxConcurrency)
	case o.users < 1 || o.users > maxUsers:
		return options{}, fmt.Errorf("-users must be in [1, %d]", maxUsers)
	}
	return o, nil
}
