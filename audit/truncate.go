package audit

import "unicode/utf8"

// Bounds of the request fields a client controls. net/http accepts paths
// and headers up to its header limit (1 MiB by default), and every request
// writes a record: without a bound, a client could make each record
// megabytes long and fill the audit storage.
const (
	// MaxPathBytes bounds [Record.Path]: 2 KiB, longer than any route
	// of a real application.
	MaxPathBytes = 2048
	// MaxUserAgentBytes bounds [Record.UserAgent]: 512 bytes, longer than
	// the User-Agent of any common browser or client library.
	MaxUserAgentBytes = 512
)

// TruncatedSuffix ends a request field the middleware cut to its bound
// ([MaxPathBytes], [MaxUserAgentBytes]): "…" (U+2026, 3 bytes). A cut
// value is at most its bound long, suffix included, so a value that ends
// with "…" and whose length is within 3 bytes of its bound was cut.
const TruncatedSuffix = "…"

// truncate returns s when it is at most max bytes long, and otherwise its
// longest prefix that leaves room for TruncatedSuffix and does not end
// inside a UTF-8 sequence, followed by TruncatedSuffix. It backs off at
// most utf8.UTFMax-1 bytes, so invalid UTF-8 (a run of continuation bytes)
// is cut where the room ends. max must exceed len(TruncatedSuffix).
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	room := max - len(TruncatedSuffix)
	cut := room
	for cut > 0 && room-cut < utf8.UTFMax-1 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if !utf8.RuneStart(s[cut]) {
		cut = room // invalid UTF-8: no boundary nearby
	}
	return s[:cut] + TruncatedSuffix
}
