package webhook

import (
	"sync"
	"time"
)

// rejectLogEvery is how often the [Handler] logs one kind of rejection
// that any client can cause without a secret (a failed verification, a
// body too large or unreadable): one line per interval, carrying the
// number of lines left out since the previous one.
const rejectLogEvery = 10 * time.Second

// logLimiter lets one log line through per interval and counts the others.
// The zero value is ready to use.
type logLimiter struct {
	mu         sync.Mutex
	next       time.Time
	suppressed int
}

// allow reports whether a line may be logged at now and, if so, how many
// were suppressed since the last one.
func (l *logLimiter) allow(now time.Time, every time.Duration) (bool, int) {
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
