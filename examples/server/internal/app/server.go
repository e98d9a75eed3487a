package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Server limits.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 15 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 64 << 10
	// shutdownTimeout is how long requests in flight get to finish after SIGTERM.
	shutdownTimeout = 20 * time.Second
)

// Serve listens on the configured address and serves until ctx ends (or a remote key set
// fails to start, which only a configuration LoadConfig did not catch can cause), then
// shuts down gracefully: no new connections, requests in flight get shutdownTimeout to
// finish. It logs "listening" with the actual URL (ADDR may ask for port 0), prints the
// DEV MODE banner in dev mode, and returns nil after a clean shutdown. It does not Close
// the App.
func (a *App) Serve(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", a.cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	url := baseURL(ln.Addr())
	a.log.Info("listening", "url", url)
	if a.dev != nil && a.opts.Banner != nil {
		if err := a.dev.banner(a.opts.Banner, url, redactURL(a.cfg.DatabaseURL)); err != nil {
			a.log.Warn("writing the dev mode banner", "error", err)
		}
	}
	if a.opts.Ready != nil {
		a.opts.Ready(url)
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	var keysStarted <-chan struct{} // a remote key set that may fail to start; nil: none
	if a.keys != nil {
		keysStarted = a.keys.started
	}
	var failed error
	for failed == nil && ctx.Err() == nil {
		select {
		case err := <-served:
			return fmt.Errorf("serving: %w", err)
		case <-keysStarted:
			keysStarted = nil
			if a.keys.err != nil { // a configuration LoadConfig did not catch
				failed = fmt.Errorf("verification keys: %w", a.keys.err)
			}
		case <-ctx.Done():
		}
	}
	a.log.Info("shutting down", "grace", shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving: %w", err)
	}
	if failed != nil {
		return failed
	}
	a.log.Info("shut down cleanly")
	return nil
}

// baseURL is the URL clients of this machine reach the listener at: its address, or
// localhost when it listens on every interface.
func baseURL(addr net.Addr) string {
	host, port := "localhost", "0"
	if tcp, ok := addr.(*net.TCPAddr); ok {
		port = strconv.Itoa(tcp.Port)
		if !tcp.IP.IsUnspecified() {
			host = tcp.IP.String()
		}
	}
	return "http://" + net.JoinHostPort(host, port)
}
