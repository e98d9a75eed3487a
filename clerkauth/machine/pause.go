package machine

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// bapiPause is the time until which no call is made, after a 429.
type bapiPause struct {
	mu    sync.Mutex
	until time.Time
}

// extend makes the pause last at least until until (never shorter: of two 429 answers to
// calls in flight together, the longer Retry-After wins).
func (p *bapiPause) extend(until time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if until.After(p.until) {
		p.until = until
	}
}

// active reports whether the pause runs at now, and until when. A pause never lasts
// more than MaxBackendAPIRetryAfter from now, even if the clock moved back.
func (p *bapiPause) active(now time.Time) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !now.Before(p.until) {
		return time.Time{}, false
	}
	if limit := now.Add(MaxBackendAPIRetryAfter); p.until.After(limit) {
		p.until = limit
	}
	return p.until, true
}

// bapiRetryAfter is how long to pause after a 429 with the Retry-After value v (delay
// seconds or an HTTP date, RFC 9110 §10.2.3): DefaultBackendAPIRetryAfter when v is
// absent or unusable, at least minBackendAPIRetryAfter, at most MaxBackendAPIRetryAfter.
func bapiRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	d := DefaultBackendAPIRetryAfter
	switch {
	case v == "":
	case strings.Trim(v, "0123456789") == "":
		secs, err := strconv.ParseUint(v, 10, 64)
		if err != nil || secs > uint64(MaxBackendAPIRetryAfter/time.Second) {
			return MaxBackendAPIRetryAfter // too large to parse is large
		}
		d = time.Duration(secs) * time.Second
	default:
		if t, err := http.ParseTime(v); err == nil {
			d = t.Sub(now)
		}
	}
	return min(max(d, minBackendAPIRetryAfter), MaxBackendAPIRetryAfter)
}
