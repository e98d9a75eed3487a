package store

import (
	"strconv"
	"unicode/utf8"
)

// maxQuotedID is how much of an id QuoteID shows.
const maxQuotedID = 64

// QuoteID returns id quoted for an error message, bounded: as a Go string literal
// (strconv.Quote: control characters and invalid UTF-8 escaped) when it is at most 64
// bytes long; a longer id is cut to at most 64 bytes (never inside a UTF-8 character),
// quoted, and followed by "…(N bytes)", N its length. An id is whatever a caller passed
// (a session id from a token, a message id from a header), possibly megabytes long:
// stores name the record an error is about with it, never with the whole id.
func QuoteID(id string) string {
	if len(id) <= maxQuotedID {
		return strconv.Quote(id)
	}
	cut := 0 // the end of the last whole character (an invalid byte is one) within maxQuotedID
	for {
		_, size := utf8.DecodeRuneInString(id[cut:])
		if cut+size > maxQuotedID {
			break
		}
		cut += size
	}
	return strconv.Quote(id[:cut]) + "…(" + strconv.Itoa(len(id)) + " bytes)"
}
