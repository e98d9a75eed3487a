// Package idquote quotes an id for an error message, bounded: the stores and the webhook
// sync name the record a failure is about, and an id is whatever the caller passed (a
// session id from a token, a message id from a header), possibly megabytes long or
// holding control characters.
package idquote

import (
	"strconv"
	"unicode/utf8"
)

// MaxBytes is how much of an id Quote shows.
const MaxBytes = 64

// Quote returns id as a Go string literal (strconv.Quote: control characters and invalid
// UTF-8 escaped) when it is at most MaxBytes long; a longer id is cut to at most MaxBytes
// (never inside a UTF-8 character), quoted, and followed by "…(N bytes)", N its length.
func Quote(id string) string {
	if len(id) <= MaxBytes {
		return strconv.Quote(id)
	}
	cut := 0 // the end of the last whole character (an invalid byte is one) within MaxBytes
	for {
		_, size := utf8.DecodeRuneInString(id[cut:])
		if cut+size > MaxBytes {
			break
		}
		cut += size
	}
	return strconv.Quote(id[:cut]) + "…(" + strconv.Itoa(len(id)) + " bytes)"
}
