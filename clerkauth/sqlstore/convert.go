package sqlstore

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// millis is how a time goes into the database: integer milliseconds since
// the Unix epoch (truncated), or NULL for the zero time.
func millis(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// ceilMillis is millis rounded up to the next whole millisecond: a
// revocation never ends earlier than asked.
func ceilMillis(t time.Time) int64 {
	ms := t.UnixMilli()
	if time.UnixMilli(ms).Before(t) {
		ms++
	}
	return ms
}

// fromMillis is how a time comes out of the database, in UTC.
func fromMillis(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64).UTC()
}

// jsonArg returns metadata as a query argument: NULL when empty (unknown),
// its text otherwise.
func jsonArg(m json.RawMessage) any {
	if len(m) == 0 {
		return nil
	}
	return string(m)
}

func fromJSON(v sql.NullString) json.RawMessage {
	if !v.Valid {
		return nil
	}
	return json.RawMessage(v.String)
}

// permissionsArg encodes permissions as a JSON array, NULL when there are
// none.
func permissionsArg(p []string) (any, error) {
	if len(p) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(p)
	if err != nil { // cannot happen for []string
		return nil, fmt.Errorf("sqlstore: encoding permissions: %w", err)
	}
	return string(b), nil
}

func fromPermissions(v sql.NullString) ([]string, error) {
	if !v.Valid {
		return nil, nil
	}
	var p []string
	if err := json.Unmarshal([]byte(v.String), &p); err != nil {
		return nil, fmt.Errorf("sqlstore: stored permissions are not a JSON array of strings: %w", err)
	}
	return p, nil
}
