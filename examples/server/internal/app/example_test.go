package app_test

import (
	"fmt"
	"os"

	"github.com/unioneyes/authkit/examples/server/internal/app"
)

// With no variable at all the server runs in dev mode, on loopback, with SQLite in the
// working directory.
func ExampleLoadConfig() {
	noEnv := func(string) (string, bool) { return "", false }
	cfg, err := app.LoadConfig(noEnv)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.DevMode(), cfg.KeySource, cfg.Addr, cfg.DatabaseURL)
	// Output: true dev mode (local fake Clerk) 127.0.0.1:8000 sqlite:authkit.db
}

// Every bad variable is reported at once; secrets are never quoted.
func ExampleLoadConfig_errors() {
	env := map[string]string{
		"CLERK_SECRET_KEY":     "sk_live_oops with a space",
		"CLERK_ISSUER":         "https://clerk.example.com",
		"DATABASE_URL":         "mysql://app:hunter2@db/app",
		"TRUSTED_PROXIES":      "10.0.0.0/33",
		"CORS_ALLOWED_ORIGINS": "*",
	}
	_, err := app.LoadConfig(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	fmt.Fprintln(os.Stdout, err)
	// Output:
	// invalid configuration:
	//   CLERK_SECRET_KEY: not a Clerk secret key (sk_test_… or sk_live_…, no spaces)
	//   DATABASE_URL: unknown scheme "mysql": want postgres://…, postgresql://… or sqlite:<path>
	//   TRUSTED_PROXIES: audit: invalid trusted proxy range "10.0.0.0/33": netip.ParsePrefix("10.0.0.0/33"): prefix length out of range
	//   CORS_ALLOWED_ORIGINS: "*" is refused: credentials are allowed, so list the origins
}
