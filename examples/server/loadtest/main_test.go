package main

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A short run against the in-process server, then one against it through -url.
func TestRun(t *testing.T) {
	ctx := context.Background()
	var out bytes.Buffer
	require.NoError(t, run(ctx, []string{"-duration=1s", "-concurrency=4", "-users=8"}, &out, io.Discard))
	t.Logf("\n%s", out.String())
	checkReport(t, out.String())

	target, err := startInProcess(ctx)
	require.NoError(t, err)
	defer target.stop()
	out.Reset()
	require.NoError(t, run(ctx, []string{"-url=" + target.baseURL, "-duration=500ms", "-concurrency=2", "-users=2"}, &out, io.Discard))
	checkReport(t, out.String())
	assert.Contains(t, out.String(), "(a running server)")
}

// checkReport checks that a report has positive numbers and no error.
func checkReport(t *testing.T, report string) {
	t.Helper()
	m := regexp.MustCompile(`requests +(\d+) in [\d.]+s: (\d+) requests/s`).FindStringSubmatch(report)
	require.NotNil(t, m, report)
	n, _ := strconv.Atoi(m[1])
	assert.Positive(t, n)
	assert.Contains(t, report, "errors       0\n")
	assert.Regexp(t, `latency +p50 \S+ +p90 \S+ +p99 \S+ +max \S+`, report)
}

// Bounds and the loopback rule are enforced before any request is sent.
func TestRunRefuses(t *testing.T) {
	for _, args := range [][]string{
		{"-duration=61s"}, {"-duration=0s"}, {"-concurrency=0"}, {"-concurrency=257"}, {"-users=0"}, {"-users=10001"},
		{"-url=http://example.com"}, {"-url=http://10.0.0.1:8000"}, {"-url=http://192.168.1.10:8000"},
		{"-url=http://127.0.0.1.example.com:8000"}, {"-url=ftp://127.0.0.1"}, {"-url=http://127.0.0.1:8000/api"},
		{"-url=http://user:pw@localhost:8000"}, {"-nope"}, {"extra"},
	} {
		err := run(context.Background(), args, io.Discard, io.Discard)
		assert.Error(t, err, "%q", args)
	}
}

func TestLoopbackBaseURL(t *testing.T) {
	for raw, want := range map[string]string{
		"http://127.0.0.1:8000":   "http://127.0.0.1:8000",
		"http://127.8.9.10:8000/": "http://127.8.9.10:8000",
		"http://localhost:8000":   "http://localhost:8000",
		"https://[::1]:8443":      "https://[::1]:8443",
		"http://LOCALHOST:8000":   "http://LOCALHOST:8000",
	} {
		got, err := loopbackBaseURL(raw)
		require.NoError(t, err, raw)
		assert.Equal(t, want, got)
	}
	// jwks.IsLoopback decides: no Unicode look-alike, absolute name or zone.
	for _, raw := range []string{"http://localhoſt:8000", "http://localhost.:8000", "http://[::1%25lo]:8000", "http://127.1:8000"} {
		_, err := loopbackBaseURL(raw)
		assert.ErrorContains(t, err, "is not a loopback address", raw)
	}
}
