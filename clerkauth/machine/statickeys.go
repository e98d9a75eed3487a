package machine

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/unioneyes/authkit/clerkauth"
)

// Limits of StaticKeys and GenerateAPIKey.
const (
	// MaxServiceAccountKeyBytes caps the length of a service-account key; a longer token
	// is refused (clerkauth.ErrMachineTokenInvalid) without being hashed.
	MaxServiceAccountKeyBytes = 1024
	// maxAPIKeyPrefixBytes caps GenerateAPIKey's prefix.
	maxAPIKeyPrefixBytes = 32
	// apiKeyRandomBytes is the entropy of a generated key.
	apiKeyRandomBytes = 32
)

// ServiceAccount is a machine client of the service, with a key the service issued
// (GenerateAPIKey) and configured by its hash.
type ServiceAccount struct {
	// Name identifies the account: the clerkauth.Principal's ID, Subject and Name.
	// Required and unique; printable, without leading or trailing spaces.
	Name string
	// KeyHash is the hex SHA-256 of the account's key (HashAPIKey), 64 hex digits: the
	// key itself is never configured, so the configuration holds no secret.
	KeyHash string
	// Scopes are the account's scopes (clerkauth.Principal.Scopes): non-empty, without
	// whitespace, each at most once.
	Scopes []string
}

// StaticKeys is a clerkauth.MachineVerifier of service-account keys the service issued
// itself, configured by their SHA-256 hashes. It leaves Clerk's machine tokens ("ak_",
// "mt_", "oat_") and JWTs to other verifiers (clerkauth.ErrTokenType), so it chains with
// a BackendAPI (Chain). It holds only hashes, never keys, and needs no network. It is
// safe for concurrent use.
type StaticKeys struct {
	accounts []staticAccount
}

var _ clerkauth.MachineVerifier = (*StaticKeys)(nil)

type staticAccount struct {
	hash   [sha256.Size]byte
	name   string
	scopes []string
}

// NewStaticKeys returns a verifier of the accounts' keys. It refuses
// (clerkauth.ErrInvalidConfig) no accounts, an empty, duplicate or unprintable name, a
// KeyHash that is not 64 hex digits (either case) or is another account's too, the hash
// of the empty key, and empty, duplicate or whitespace-carrying scopes. The accounts are
// copied.
func NewStaticKeys(accounts ...ServiceAccount) (*StaticKeys, error) {
	if len(accounts) == 0 {
		return nil, fmt.Errorf("%w: NewStaticKeys needs at least one ServiceAccount", clerkauth.ErrInvalidConfig)
	}
	emptyKeyHash := sha256.Sum256(nil)
	names := make(map[string]bool, len(accounts))
	hashes := make(map[[sha256.Size]byte]bool, len(accounts))
	s := &StaticKeys{accounts: make([]staticAccount, 0, len(accounts))}
	for i, a := range accounts {
		if a.Name == "" || strings.TrimSpace(a.Name) != a.Name ||
			strings.ContainsFunc(a.Name, func(r rune) bool { return !unicode.IsPrint(r) }) {
			return nil, fmt.Errorf("%w: ServiceAccount %d: Name must be non-empty and printable, without surrounding spaces", clerkauth.ErrInvalidConfig, i)
		}
		if names[a.Name] {
			return nil, fmt.Errorf("%w: ServiceAccount %q: duplicate name", clerkauth.ErrInvalidConfig, a.Name)
		}
		names[a.Name] = true
		var h [sha256.Size]byte
		if len(a.KeyHash) != hex.EncodedLen(sha256.Size) {
			return nil, fmt.Errorf("%w: ServiceAccount %q: KeyHash must be 64 hex digits (HashAPIKey)", clerkauth.ErrInvalidConfig, a.Name)
		}
		if _, err := hex.Decode(h[:], []byte(a.KeyHash)); err != nil {
			return nil, fmt.Errorf("%w: ServiceAccount %q: KeyHash must be 64 hex digits (HashAPIKey)", clerkauth.ErrInvalidConfig, a.Name)
		}
		if h == emptyKeyHash {
			return nil, fmt.Errorf("%w: ServiceAccount %q: KeyHash is the hash of an empty key", clerkauth.ErrInvalidConfig, a.Name)
		}
		if hashes[h] {
			return nil, fmt.Errorf("%w: ServiceAccount %q: KeyHash shared with another account", clerkauth.ErrInvalidConfig, a.Name)
		}
		hashes[h] = true
		for j, sc := range a.Scopes {
			if sc == "" || strings.ContainsFunc(sc, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) {
				return nil, fmt.Errorf("%w: ServiceAccount %q: scope %d is empty or has whitespace", clerkauth.ErrInvalidConfig, a.Name, j)
			}
			if slices.Contains(a.Scopes[:j], sc) {
				return nil, fmt.Errorf("%w: ServiceAccount %q: duplicate scope %q", clerkauth.ErrInvalidConfig, a.Name, sc)
			}
		}
		s.accounts = append(s.accounts, staticAccount{hash: h, name: a.Name, scopes: slices.Clone(a.Scopes)})
	}
	return s, nil
}

// VerifyMachineToken implements clerkauth.MachineVerifier. A token with a Clerk prefix
// ("ak_", "mt_", "oat_") or the shape of a JWT is not a service-account key:
// clerkauth.ErrTokenType (wrapped), so a chain hands it to another verifier. A token
// matching no account's hash, empty or longer than MaxServiceAccountKeyBytes is
// clerkauth.ErrMachineTokenInvalid. A match gives a clerkauth.Principal of
// clerkauth.KindServiceAccount whose ID, Subject and Name are the account's name; it is
// the caller's to keep.
func (s *StaticKeys) VerifyMachineToken(_ context.Context, token string) (*clerkauth.Principal, error) {
	if !isServiceAccountForm(token) {
		return nil, fmt.Errorf("machine: StaticKeys verifies only service-account keys: %w", clerkauth.ErrTokenType)
	}
	if token == "" || len(token) > MaxServiceAccountKeyBytes {
		return nil, fmt.Errorf("%w: service-account key empty or too long", clerkauth.ErrMachineTokenInvalid)
	}
	h := sha256.Sum256([]byte(token))
	// Compare with every account, in constant time, without stopping at a match: the time
	// taken then says nothing about which account (if any) matched, nor how much of a
	// hash did. A map keyed by hash would be faster but its lookup time depends on the
	// key. (What leaks would be about the hash, which does not help find a key; this is
	// defence in depth, and costs well under a microsecond for tens of accounts.)
	found, idx := 0, 0
	for i := range s.accounts {
		eq := subtle.ConstantTimeCompare(h[:], s.accounts[i].hash[:])
		idx = subtle.ConstantTimeSelect(eq, i, idx)
		found |= eq
	}
	if found != 1 {
		return nil, fmt.Errorf("%w: no service account has this key", clerkauth.ErrMachineTokenInvalid)
	}
	a := &s.accounts[idx]
	return &clerkauth.Principal{
		Kind:    clerkauth.KindServiceAccount,
		ID:      a.name,
		Subject: a.name,
		Name:    a.name,
		Scopes:  slices.Clone(a.scopes),
	}, nil
}

// HashAPIKey returns the hex SHA-256 of key: what ServiceAccount.KeyHash holds. Keys from
// GenerateAPIKey carry 256 random bits, so a fast hash is enough (no salt or KDF needed).
func HashAPIKey(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])
}

// GenerateAPIKey returns a new random service-account key: prefix followed by 32 random
// bytes in unpadded base64url (43 characters). Give the key to the client once, and
// configure only HashAPIKey(key).
//
// prefix is optional ("svc_", say: it tells your keys apart in a leak scanner) and made
// of at most 32 of [A-Za-z0-9_-]. Prefixes that would route the key to Clerk ("ak_",
// "mt_", "oat_"), or make it look like a JWT ('.'), are refused
// (clerkauth.ErrInvalidConfig); no generated key ever starts with a Clerk prefix.
func GenerateAPIKey(prefix string) (string, error) {
	if len(prefix) > maxAPIKeyPrefixBytes || !base64URLChars(prefix) {
		return "", fmt.Errorf("%w: API key prefix must be at most %d of [A-Za-z0-9_-]", clerkauth.ErrInvalidConfig, maxAPIKeyPrefixBytes)
	}
	if !isServiceAccountForm(prefix) {
		return "", fmt.Errorf("%w: API key prefix %q is one of Clerk's (ak_, mt_, oat_)", clerkauth.ErrInvalidConfig, prefix)
	}
	var b [apiKeyRandomBytes]byte
	// A prefix such as "ak" or "" could still meet a Clerk prefix in the random part
	// ("ak" + "_…"): draw again then (one draw in 64 for "ak", one in 262,144 for "").
	for range 16 {
		if _, err := rand.Read(b[:]); err != nil { // never fails since Go 1.24
			return "", fmt.Errorf("machine: generating an API key: %w", err)
		}
		key := prefix + base64.RawURLEncoding.EncodeToString(b[:])
		if isServiceAccountForm(key) {
			return key, nil
		}
	}
	return "", fmt.Errorf("%w: API key prefix %q keeps producing Clerk-like keys", clerkauth.ErrInvalidConfig, prefix)
}
