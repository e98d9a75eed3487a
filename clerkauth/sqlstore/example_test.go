package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

	"github.com/unioneyes/authkit/clerkauth/sqlstore"
	"github.com/unioneyes/authkit/clerkauth/store"
)

// A SQLite file: migrate, then webhooks write out of order and the
// database keeps the newest version and the deletion.
func Example_sqlite() {
	dir, err := os.MkdirTemp("", "authkit")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "authkit.db")+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	ctx := context.Background()
	sqlStore, err := sqlstore.New(db, sqlstore.Config{Dialect: sqlstore.SQLite})
	if err != nil {
		log.Fatal(err)
	}
	if err := sqlStore.Migrate(ctx); err != nil {
		log.Fatal(err)
	}

	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	newer := &store.User{ID: "user_1", Email: "new@example.com", UpdatedAt: t0.Add(time.Minute)}
	older := &store.User{ID: "user_1", Email: "old@example.com", UpdatedAt: t0}
	applied, _ := sqlStore.UpsertUser(ctx, newer)
	fmt.Println("newer applied:", applied)
	applied, _ = sqlStore.UpsertUser(ctx, older)
	fmt.Println("older applied:", applied)
	applied, _ = sqlStore.DeactivateUser(ctx, "user_1", t0.Add(time.Hour))
	fmt.Println("deactivated:", applied)

	u, _ := sqlStore.GetUser(ctx, "user_1")
	fmt.Println(u.Email, u.Active(), u.DeletedAt.Format(time.RFC3339))
	fmt.Println("ping:", sqlStore.Ping(ctx))
	// Output:
	// newer applied: true
	// older applied: false
	// deactivated: true
	// new@example.com false 2025-03-01T11:00:00Z
	// ping: <nil>
}

// PostgreSQL, with the tables in a schema of their own (through the
// connection's search_path) and a prefix.
func Example_postgres() {
	db, err := sql.Open("pgx", "postgres://app@db.internal:5432/app?sslmode=verify-full&search_path=auth")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	sqlStore, err := sqlstore.New(db, sqlstore.Config{Dialect: sqlstore.Postgres, TablePrefix: "clerk_"})
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := sqlStore.Migrate(ctx); err != nil { // every replica, at start-up
		log.Fatal(err)
	}
	members, err := sqlStore.ListMembers(ctx, "org_2g7np7Hrk0SN6kj5EDMLDaKNL0S")
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range members {
		fmt.Println(m.UserID, m.Role)
	}
}
