package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"sync"
	"time"
)

const (
	mePath         = "/api/auth_core/me/"
	requestTimeout = 10 * time.Second
	tokenLifetime  = 10 * time.Minute // longer than any run
)

// newClient returns a client keeping one connection per worker, with no proxy.
func newClient(concurrency int) *http.Client {
	return &http.Client{
		Timeout: requestTimeout,
		Transport: &http.Transport{
			Proxy:               nil, // never through a proxy from the environment
			MaxIdleConns:        concurrency,
			MaxIdleConnsPerHost: concurrency,
			MaxConnsPerHost:     concurrency,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// mintTokens asks the dev server's POST /dev/token for one token per user.
func mintTokens(ctx context.Context, client *http.Client, baseURL string, users int) ([]string, error) {
	tokens := make([]string, 0, users)
	for i := range users {
		body, _ := json.Marshal(map[string]any{
			"user_id":          fmt.Sprintf("user_load_%05d", i),
			"email":            fmt.Sprintf("load%05d@example.com", i),
			"lifetime_seconds": int(tokenLifetime / time.Second),
		})
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/dev/token", bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("minting tokens: %w", err)
		}
		var minted struct {
			Token string `json:"token"`
		}
		err = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&minted)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || err != nil || minted.Token == "" {
			return nil, fmt.Errorf("minting tokens: POST /dev/token answered %s (is the server in dev mode?)", resp.Status)
		}
		tokens = append(tokens, minted.Token)
	}
	return tokens, nil
}

// warmUp sends one request per token, so that every user is provisioned before timing.
func warmUp(ctx context.Context, client *http.Client, target string, tokens []string) error {
	for _, tok := range tokens {
		status, err := get(ctx, client, target, tok)
		if err != nil {
			return fmt.Errorf("warming up: %w", err)
		}
		if status != http.StatusOK {
			return fmt.Errorf("warming up: GET %s answered %d", mePath, status)
		}
	}
	return nil
}

// get sends one authenticated GET and drains the answer.
func get(ctx context.Context, client *http.Client, target, token string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, err
}

// result is what a run measured.
type result struct {
	latencies  []time.Duration // of the requests answered 200
	errors     int
	firstError string
	elapsed    time.Duration
}

// hammer keeps concurrency workers sending requests for d, each cycling through the
// tokens, and collects the latency of every request.
func hammer(ctx context.Context, client *http.Client, target string, tokens []string, concurrency int, d time.Duration) result {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		mu  sync.Mutex
		res result
		wg  sync.WaitGroup
	)
	start := time.Now()
	for w := range concurrency {
		wg.Go(func() {
			var lat []time.Duration
			var errs int
			var first string
			for i := w; ctx.Err() == nil; i += concurrency {
				t0 := time.Now()
				status, err := get(ctx, client, target, tokens[i%len(tokens)])
				elapsed := time.Since(t0)
				switch {
				case err != nil && ctx.Err() != nil:
					// cut short by the end of the run: not an answer
				case err != nil:
					errs++
					first = cmp.Or(first, err.Error())
				case status != http.StatusOK:
					errs++
					first = cmp.Or(first, fmt.Sprintf("HTTP %d", status))
				default:
					lat = append(lat, elapsed)
				}
			}
			mu.Lock()
			res.latencies = append(res.latencies, lat...)
			res.errors += errs
			res.firstError = cmp.Or(res.firstError, first)
			mu.Unlock()
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	return res
}

// percentile returns the p-th quantile (0 < p ≤ 1) of sorted latencies.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// report writes the run's numbers.
func report(out io.Writer, t *target, o options, res result) {
	lat := slices.Clone(res.latencies)
	slices.Sort(lat)
	n := len(lat)
	rps := float64(n) / res.elapsed.Seconds()
	fmt.Fprintf(out, "target       %s%s (%s)\n", t.baseURL, mePath, t.description)
	fmt.Fprintf(out, "load         %d connections for %v, %d users' tokens\n", o.concurrency, o.duration, o.users)
	fmt.Fprintf(out, "requests     %d in %.2fs: %.0f requests/s\n", n, res.elapsed.Seconds(), rps)
	fmt.Fprintf(out, "errors       %d\n", res.errors)
	fmt.Fprintf(out, "latency      p50 %v  p90 %v  p99 %v  max %v\n",
		round(percentile(lat, 0.50)), round(percentile(lat, 0.90)), round(percentile(lat, 0.99)), round(percentile(lat, 1)))
}

// round keeps three significant figures or so.
func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	default:
		return d.Round(time.Microsecond)
	}
}
