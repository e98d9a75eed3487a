package machine

import (
	"sync"
	"time"
)

// bapiLogLimiter lets one log line through per interval and counts the others.
type bapiLogLimiter struct {
	mu         sync.Mutex
	next       time.Time
	suppressed int
}

// allow reports whether a line may be logged at now, and how many were suppressed since
// the last one.
func (l *bapiLogLimiter) allow(now time.Time, every time.Duration) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Before(l.next) {
		l.suppressed++
		return false, 0
	}
	n := l.suppressed
	l.suppressed = 0
	l.next = now.Add(every)
	return true, n
}
