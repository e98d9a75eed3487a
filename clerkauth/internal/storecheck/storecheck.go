package storecheck

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/internal/idquote"
)

// ID fails with invalid for an id that is empty, not valid UTF-8 or holds a
// NUL (see [clerkauth.ValidID]); kind names the id in the message ("user",
// "session"), which quotes at most its first 64 bytes.
func ID(invalid error, kind, id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: empty %s id", invalid, kind)
	case !clerkauth.ValidID(id):
		return fmt.Errorf("%w: %s id %s is not valid UTF-8 without NUL", invalid, kind, idquote.Quote(id))
	}
	return nil
}

// Deletion is [ID], then fails with invalid for a zero deletion time.
func Deletion(invalid error, kind, id string, at time.Time) error {
	if err := ID(invalid, kind, id); err != nil {
		return err
	}
	if at.IsZero() {
		return fmt.Errorf("%w: zero deletion time", invalid)
	}
	return nil
}

// Metadata fails with invalid for public metadata that is neither empty
// nor valid JSON.
func Metadata(invalid error, m json.RawMessage) error {
	if len(m) > 0 && !json.Valid(m) {
		return fmt.Errorf("%w: public metadata is not valid JSON", invalid)
	}
	return nil
}
