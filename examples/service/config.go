package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/clerkauth/machine"
	"github.com/unioneyes/authkit/jwks"
)

// config is the service's configuration.
type config struct {
	addr      string
	accounts  []machine.ServiceAccount
	secretKey string // secret: never logged
	apiURL    string
	jwtKey    string
	issuer    string
	pk        string
}

// loadConfig reads the environment; errors name the variable, never a secret's value.
func loadConfig(lookup func(string) (string, bool)) (config, error) {
	get := func(name string) string { v, _ := lookup(name); return strings.TrimSpace(v) }
	c := config{
		addr: get("ADDR"), secretKey: get("CLERK_SECRET_KEY"), apiURL: get("CLERK_API_URL"),
		jwtKey: get("CLERK_JWT_KEY"), issuer: get("CLERK_ISSUER"), pk: get("CLERK_PUBLISHABLE_KEY"),
	}
	if c.addr == "" {
		c.addr = ":8001"
	}
	var err error
	if c.accounts, err = parseAccounts(get("SERVICE_API_KEY_HASHES")); err != nil {
		return config{}, fmt.Errorf("SERVICE_API_KEY_HASHES: %w", err)
	}
	switch {
	case len(c.accounts) == 0 && c.secretKey == "":
		return config{}, errors.New("no machine credential is configured: set SERVICE_API_KEY_HASHES and/or CLERK_SECRET_KEY")
	case c.jwtKey == "" && c.pk == "":
		return config{}, errors.New("set CLERK_JWT_KEY (with CLERK_ISSUER) or CLERK_PUBLISHABLE_KEY: /v1/whoami also takes session tokens")
	case c.jwtKey != "" && c.issuer == "":
		return config{}, errors.New("CLERK_ISSUER is required with CLERK_JWT_KEY")
	}
	return c, nil
}

// parseAccounts reads SERVICE_API_KEY_HASHES: entries separated by ';' or white space,
// each "name:sha256hex" or "name:sha256hex:scope,scope" (scopes may contain ':').
// machine.NewStaticKeys then checks names, hashes and scopes.
func parseAccounts(s string) ([]machine.ServiceAccount, error) {
	var accounts []machine.ServiceAccount
	for i, entry := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ' ' || r == '\t' || r == '\n' }) {
		parts := strings.SplitN(entry, ":", 3)
		if len(parts) < 2 {
			return nil, fmt.Errorf("entry %d is not name:sha256hex[:scope,…]", i+1)
		}
		a := machine.ServiceAccount{Name: parts[0], KeyHash: parts[1]}
		if len(parts) == 3 && parts[2] != "" {
			a.Scopes = strings.Split(parts[2], ",")
		}
		accounts = append(accounts, a)
	}
	if len(accounts) == 0 {
		return nil, nil
	}
	if _, err := machine.NewStaticKeys(accounts...); err != nil {
		return nil, err
	}
	return accounts, nil
}

// newVerifier builds the verifier: session keys, and the machine verifiers configured
// (service-account keys first: they need no network). closeKeys releases a remote key set.
func newVerifier(ctx context.Context, c config, logger *slog.Logger) (v *clerkauth.Verifier, closeKeys func(), err error) {
	closeKeys = func() {}
	var machines []clerkauth.MachineVerifier
	if len(c.accounts) > 0 {
		static, err := machine.NewStaticKeys(c.accounts...)
		if err != nil {
			return nil, nil, err
		}
		machines = append(machines, static)
	}
	if c.secretKey != "" {
		backend, err := machine.NewBackendAPI(machine.BackendAPIConfig{SecretKey: c.secretKey, URL: c.apiURL, Logger: logger})
		if err != nil {
			return nil, nil, err
		}
		machines = append(machines, backend)
	}

	var keys jwks.Source
	issuer := c.issuer
	if c.jwtKey != "" {
		if keys, err = jwks.ParsePEM(c.jwtKey); err != nil {
			return nil, nil, fmt.Errorf("CLERK_JWT_KEY: %w", err)
		}
	} else {
		pk, err := jwks.ParsePublishableKey(c.pk)
		if err != nil {
			return nil, nil, fmt.Errorf("CLERK_PUBLISHABLE_KEY: %w", err)
		}
		remote, err := jwks.NewRemote(context.WithoutCancel(ctx), jwks.RemoteConfig{URL: pk.JWKSURL(), Logger: logger})
		if err != nil {
			return nil, nil, err
		}
		closeKeys = func() { _ = remote.Close() }
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := remote.Ready(rctx); err != nil {
			logger.Warn("session keys not loaded yet; retrying in the background", "error", err)
		}
		keys = remote
		if issuer == "" {
			issuer = pk.Issuer()
		}
	}
	v, err = clerkauth.NewVerifier(clerkauth.Config{
		Keys: keys, Issuer: issuer, Machine: machine.Chain(machines...),
	})
	if err != nil {
		closeKeys()
		return nil, nil, err
	}
	return v, closeKeys, nil
}
