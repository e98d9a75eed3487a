// Command minimal is the shortest correct use of authkit: one endpoint that requires a
// Clerk session. Run it with CLERK_PUBLISHABLE_KEY set (issuer and key set derive from it).
package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/jwks"
)

func main() {
	pk, err := jwks.ParsePublishableKey(os.Getenv("CLERK_PUBLISHABLE_KEY"))
	if err != nil {
		log.Fatalf("CLERK_PUBLISHABLE_KEY: %v", err)
	}
	keys, err := jwks.NewRemote(context.Background(), jwks.RemoteConfig{URL: pk.JWKSURL()})
	if err != nil {
		log.Fatal(err)
	}
	verifier, err := clerkauth.NewVerifier(clerkauth.Config{Keys: keys, Issuer: pk.Issuer()})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		s, _ := clerkauth.SessionFromContext(r.Context())
		fmt.Fprintf(w, "hello %s\n", s.UserID)
	})
	srv := &http.Server{Addr: ":8000", Handler: verifier.Middleware()(mux), ReadHeaderTimeout: 5 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
