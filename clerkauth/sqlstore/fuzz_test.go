package sqlstore_test

import (
	"database/sql"
	"errors"
	"regexp"
	"testing"

	"github.com/unioneyes/authkit/clerkauth/sqlstore"
)

var identifier = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// Whatever the prefix, New either refuses it with ErrInvalidConfig or
// every name the store creates is a plain identifier PostgreSQL accepts
// unquoted (at most 63 bytes): no prefix can inject SQL.
func FuzzTablePrefix(f *testing.F) {
	for _, seed := range []string{
		"", "authkit_", "app", "_", "a1_", "1a", "Authkit", "public.authkit_", `x"; DROP TABLE users; --`,
		"auth kit", "authkït_", "a\x00b", "a-b", "tenant_42_", "abcdefghijklmnopqrstuvwxyzabcdefghijklmn", "abcdefghijklmnopqrstuvwxyzabcdefghijklmno",
	} {
		f.Add(seed)
	}
	db := &sql.DB{} // never used: New does not touch the database
	f.Fuzz(func(t *testing.T, prefix string) {
		for _, d := range []sqlstore.Dialect{sqlstore.Postgres, sqlstore.SQLite} {
			s, err := sqlstore.New(db, sqlstore.Config{Dialect: d, TablePrefix: prefix})
			if err != nil {
				if !errors.Is(err, sqlstore.ErrInvalidConfig) {
					t.Fatalf("New(%q): error %v does not wrap ErrInvalidConfig", prefix, err)
				}
				continue
			}
			got := s.TablePrefix()
			if prefix != "" && got != prefix {
				t.Fatalf("TablePrefix() = %q, want %q", got, prefix)
			}
			for _, name := range []string{"schema_migrations", "memberships_user_idx", "revocations_expires_idx"} {
				if id := got + name; !identifier.MatchString(id) || len(id) > 63 {
					t.Fatalf("prefix %q accepted, but %q is not a plain identifier of at most 63 bytes", prefix, id)
				}
			}
		}
	})
}
