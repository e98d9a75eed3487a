package sqlstore

import (
	"strings"
	"testing"
)

func TestNumberPlaceholders(t *testing.T) {
	for in, want := range map[string]string{
		"SELECT 1":                         "SELECT 1",
		"WHERE a = ?":                      "WHERE a = $1",
		"VALUES (?, ?, ?)":                 "VALUES ($1, $2, $3)",
		"WHERE a = ? AND b = ? ORDER BY c": "WHERE a = $1 AND b = $2 ORDER BY c",
		"?":                                "$1",
		"??":                               "$1$2",
	} {
		if got := numberPlaceholders(in); got != want {
			t.Errorf("numberPlaceholders(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSplitStatements(t *testing.T) {
	src := "-- a comment;\n\nCREATE TABLE a (\n    x INT -- trailing\n);\n\n-- another\nCREATE INDEX b ON a (x);\nSELECT 1"
	got := splitStatements(src)
	want := []string{"CREATE TABLE a (\n    x INT -- trailing\n)", "CREATE INDEX b ON a (x)", "SELECT 1"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("splitStatements = %q, want %q", got, want)
	}
}

// Every dialect has the same migrations, numbered from 1 without gaps, and
// every statement uses the prefix for every name it creates.
func TestEmbeddedMigrations(t *testing.T) {
	pg, err := loadMigrations(Postgres, "pfx_")
	if err != nil {
		t.Fatal(err)
	}
	lite, err := loadMigrations(SQLite, "pfx_")
	if err != nil {
		t.Fatal(err)
	}
	if len(pg) == 0 || len(pg) != len(lite) {
		t.Fatalf("%d PostgreSQL and %d SQLite migrations", len(pg), len(lite))
	}
	for i := range pg {
		if pg[i].version != i+1 || lite[i].version != i+1 {
			t.Errorf("migration %d has versions %d and %d", i, pg[i].version, lite[i].version)
		}
		for _, m := range []migration{pg[i], lite[i]} {
			for _, stmt := range m.stmts {
				if strings.Contains(stmt, "{prefix}") || !strings.Contains(stmt, "pfx_") {
					t.Errorf("%s: statement without the prefix: %s", m.name, stmt)
				}
			}
		}
	}
	if latestVersion(pg) != len(pg) || latestVersion(nil) != 0 {
		t.Errorf("latestVersion = %d, want %d", latestVersion(pg), len(pg))
	}
}

func TestQueriesAreNumberedForPostgres(t *testing.T) {
	for _, d := range []Dialect{Postgres, SQLite} {
		q := buildQueries(d, "p_")
		for _, s := range []string{q.upsertUser, q.getMembership, q.revoked, q.addVersion} {
			if hasQ := strings.Contains(s, "?"); hasQ != (d == SQLite) {
				t.Errorf("%v: %q", d, s)
			}
		}
	}
}
