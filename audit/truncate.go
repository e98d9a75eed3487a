package audit

import "unicode/utf8"

// Bounds of the request fields a client controls (see "Bounds" in the
// package documentation).
const (
	maxPathBytes      = 2048 // Record.Path: longer than any route of a real application
	maxUserAgentBytes = 512  // Record.UserAgent: longer than any common browser's or library's
)

// truncatedSuffix ends a request field the middleware cut to its bound
// (maxPathBytes, maxUserAgentBytes): "…" (U+2026, 3 bytes). A cut
// value is at most its bound long, suffix included, so a value that ends
// with "…" and whose length is within 3 bytes of its bound was cut.
const truncatedSuffix = "…"

// truncate returns s when it is at most max bytes long, and otherwise its
// longest prefix that leaves room for truncatedSuffix and does not end
// inside a UTF-8 sequence, followed by truncatedSuffix. It backs off at
// most utf8.UTFMax-1 bytes, so invalid UTF-8 (a run of continuation bytes)
// is cut where the room ends. max must exceed len(truncatedSuffix).
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	room := max - len(truncatedSuffix)
	cut := room
	for cut > 0 && room-cut < utf8.UTFMax-1 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if !utf8.RuneStart(s[cut]) {
		cut = room // invalid UTF-8: no boundary nearby
	}
	return s[:cut] + truncatedSuffix
}
