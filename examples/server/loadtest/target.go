package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/unioneyes/authkit/examples/server/internal/app"
	"github.com/unioneyes/authkit/jwks"
)

// target is the server under load.
type target struct {
	baseURL     string
	description string
	stop        func()
}

// startTarget checks a given URL (loopback only), or starts the server in process.
func startTarget(ctx context.Context, rawURL string) (*target, error) {
	if rawURL == "" {
		return startInProcess(ctx)
	}
	base, err := loopbackBaseURL(rawURL)
	if err != nil {
		return nil, err
	}
	return &target{baseURL: base, description: "a running server", stop: func() {}}, nil
}

// loopbackBaseURL accepts an http(s) base URL whose host is localhost or a loopback IP
// address, and nothing else: this tool never sends traffic off the machine.
func loopbackBaseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("-url %q is not an http:// or https:// URL", raw)
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("-url %q must be a base URL (scheme://host:port)", raw)
	}
	if !jwks.IsLoopback(u.Hostname()) {
		return "", fmt.Errorf("-url %q is not a loopback address (127.0.0.0/8, ::1 or localhost); refusing to send load elsewhere", raw)
	}
	return u.Scheme + "://" + u.Host, nil
}

// startInProcess starts the example server in dev mode on 127.0.0.1:0, with SQLite in a
// temporary directory; stop shuts it down and removes the directory.
func startInProcess(ctx context.Context) (*target, error) {
	dir, err := os.MkdirTemp("", "authkit-loadtest-")
	if err != nil {
		return nil, err
	}
	env := map[string]string{
		app.EnvAddr:        "127.0.0.1:0",
		app.EnvDatabaseURL: "sqlite:" + filepath.Join(dir, "load.db"),
	}
	cfg, err := app.LoadConfig(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	ready := make(chan string, 1)
	a, err := app.New(ctx, cfg, app.Options{
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Audit:  io.Discard,
		Ready:  func(u string) { ready <- u },
	})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	served := make(chan error, 1)
	go func() { served <- a.Serve(sctx) }()
	stop := func() {
		cancel()
		<-served
		_ = a.Close()
		_ = os.RemoveAll(dir)
	}
	select {
	case u := <-ready:
		return &target{baseURL: u, description: "in-process dev-mode server, SQLite in a temporary directory", stop: stop}, nil
	case err := <-served:
		stop()
		return nil, err
	case <-time.After(30 * time.Second):
		stop()
		return nil, errors.New("the in-process server did not start")
	}
}
