//go:build unix

package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

const (
	startTimeout = 60 * time.Second // a -race build migrating a fresh database
	stopTimeout  = 30 * time.Second
)

// serverBinary builds the server once per test binary, with -race when the tests run
// with it, into a directory removed when the tests end (TestMain).
var serverBinary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// TestMain removes the server binary after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if serverBinary.dir != "" {
		_ = os.RemoveAll(serverBinary.dir)
	}
	os.Exit(code)
}

// buildServer returns the path of the server binary, building it on first use.
func buildServer(t *testing.T) string {
	t.Helper()
	serverBinary.once.Do(func() {
		dir, err := os.MkdirTemp("", "authkit-e2e-")
		if err != nil {
			serverBinary.err = err
			return
		}
		serverBinary.dir = dir
		goTool, err := exec.LookPath("go") // go test puts its own toolchain first in PATH
		if err != nil {
			serverBinary.err = err
			return
		}
		path := filepath.Join(dir, "authkit-server")
		args := []string{"build", "-o", path}
		if raceEnabled {
			args = append(args, "-race")
		}
		cmd := exec.Command(goTool, append(args, ".")...)
		if out, err := cmd.CombinedOutput(); err != nil {
			serverBinary.err = errors.New("go build: " + err.Error() + "\n" + string(out))
			return
		}
		serverBinary.path = path
	})
	if serverBinary.err != nil {
		t.Fatal(serverBinary.err)
	}
	return serverBinary.path
}

// lines collects a process's output line by line.
type lines struct {
	mu      sync.Mutex
	partial []byte
	all     []string
	onLine  func(string)
}

// Write records every complete line, calling onLine for each.
func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(l.partial[:i])
		l.partial = l.partial[i+1:]
		l.all = append(l.all, line)
		if l.onLine != nil {
			l.onLine(line)
		}
	}
}

// Lines returns the complete lines written so far.
func (l *lines) Lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.all)
}

// String returns everything written so far.
func (l *lines) String() string {
	return strings.Join(l.Lines(), "\n")
}

// server is a running server process.
type server struct {
	t        *testing.T
	cmd      *exec.Cmd
	dir      string // its working directory
	url      string // its base URL, from the "listening" log line
	stdout   *lines // the audit trail
	stderr   *lines // operational logs
	exited   chan struct{}
	exitErr  error
	requests atomic.Int64 // requests sent through do
	client   *http.Client
}

// listenLine is the server's "listening" log line, with its URL.
var listenLine = regexp.MustCompile(`msg=listening url=(http://\S+)`)

// startServer starts the server with exactly env (nothing inherited from the developer's
// environment) in a fresh working directory, and waits for it to listen.
func startServer(t *testing.T, env map[string]string) *server {
	t.Helper()
	s := &server{
		t:      t,
		dir:    t.TempDir(),
		stdout: &lines{},
		stderr: &lines{},
		exited: make(chan struct{}),
		client: &http.Client{
			Timeout:       15 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	listening := make(chan string, 1)
	s.stderr.onLine = func(line string) {
		if m := listenLine.FindStringSubmatch(line); m != nil {
			select {
			case listening <- m[1]:
			default:
			}
		}
	}
	s.cmd = serverCommand(t, s.dir, env)
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s.exitErr = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
		if t.Failed() {
			t.Logf("server stderr:\n%s", s.stderr)
		}
	})
	select {
	case s.url = <-listening:
	case <-s.exited:
		t.Fatalf("server exited before listening (%v); stderr:\n%s", s.exitErr, s.stderr)
	case <-time.After(startTimeout):
		t.Fatalf("server not listening after %v; stderr:\n%s", startTimeout, s.stderr)
	}
	return s
}

// serverCommand is the server binary run in dir with exactly env: nothing is inherited
// from the developer's environment (no CLERK_* variable, say).
func serverCommand(t *testing.T, dir string, env map[string]string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(buildServer(t))
	cmd.Dir = dir
	cmd.Env = []string{}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

// waitExit waits for a process that exits on its own and returns its exit code.
func waitExit(t *testing.T, s *server) int {
	t.Helper()
	select {
	case <-s.exited:
	case <-time.After(stopTimeout):
		t.Fatalf("server still running after %v", stopTimeout)
	}
	return s.cmd.ProcessState.ExitCode()
}

// stop sends SIGTERM and returns the exit code.
func (s *server) stop() int {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatal(err)
	}
	return waitExit(s.t, s)
}

// do sends a request to the server and returns the answer with its body read.
func (s *server) do(method, path string, header http.Header, body []byte) (*http.Response, []byte) {
	s.t.Helper()
	return s.doHost("", method, path, header, body)
}

// doHost is do with the Host header set to host ("" for the server's address).
func (s *server) doHost(host, method, path string, header http.Header, body []byte) (*http.Response, []byte) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.url+path, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if host != "" {
		req.Host = host
	}
	s.requests.Add(1)
	resp, err := s.client.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return resp, data
}

// waitHealthy polls the health endpoint until it answers 200 (the server listens at
// once, before its key set has loaded) and returns its last answer's body.
func (s *server) waitHealthy() []byte {
	s.t.Helper()
	deadline := time.Now().Add(startTimeout)
	for {
		resp, body := s.get(pathHealth, "")
		if resp.StatusCode == http.StatusOK {
			return body
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("health still %s after %v: %s", resp.Status, startTimeout, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// get sends a GET with an optional bearer token.
func (s *server) get(path, token string) (*http.Response, []byte) {
	s.t.Helper()
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	return s.do(http.MethodGet, path, h, nil)
}
