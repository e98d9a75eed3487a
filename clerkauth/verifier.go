package clerkauth

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/golang-jwt/jwt/v5"

	"github.com/unioneyes/authkit/clerkauth/store"
	"github.com/unioneyes/authkit/jwks"
	"github.com/unioneyes/authkit/orgctx"
)

// Constant header values, boxed once.
var (
	boxedJWT             any = "JWT"
	boxedSessionCategory any = CategorySession
)

// Verifier verifies Clerk session tokens. Build it once with NewVerifier; it is safe for
// concurrent use.
type Verifier struct {
	s *settings
}

// NewVerifier checks cfg once, entirely: a missing key source, an unknown algorithm, a
// malformed issuer or authorized party, a negative or excessive leeway are errors here,
// never per request.
func NewVerifier(cfg Config) (*Verifier, error) {
	s, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	return &Verifier{s: s}, nil
}

// Verify checks a session token and returns its Session. It checks the token alone:
// revocations and deactivated users, when stores are configured, are checked by
// Authenticate and the middleware. In order: the pre-parse gate
// (length, three strict base64url segments), the header (alg from the allow-list, no
// crit, a kid, typ JWT if any, cat of a session token if any), the payload's shape and
// types, the issuer (before any key is fetched), the key, the signature, then exp (required),
// nbf and iat with the leeway, azp, sub and sid, sts and the claims version. Errors wrap
// one sentinel each (ErrTokenExpired, ErrInvalidSignature, …). ctx bounds any wait for
// keys.
func (v *Verifier) Verify(ctx context.Context, token string) (*Session, error) {
	s := v.s
	h64, p64, sig64, signingInput, err := splitToken(token, s.maxBytes)
	if err != nil {
		return nil, err
	}
	if s.keys == nil {
		return nil, fmt.Errorf("%w: this verifier has no session keys", ErrKindNotAccepted)
	}
	var cacheKey TokenCacheKey
	if s.cache != nil {
		cacheKey = s.keyer.key(token)
		// A token verified in full earlier: only time and the withdrawal of its key can
		// change the verdict (a key no longer in the set: verify in full again).
		if cached, ok := s.cache.Get(cacheKey); ok && (s.keyCheck == nil || s.keyCheck.HasKey(cached.KeyID)) {
			now := s.now()
			if !now.Before(cached.ExpiresAt.Add(s.leeway)) {
				return nil, fmt.Errorf("%w: %w", ErrTokenExpired, jwt.ErrTokenExpired)
			}
			if later := now.Add(s.leeway); later.Before(cached.NotBefore) || later.Before(cached.IssuedAt) {
				return nil, fmt.Errorf("%w: %w", ErrTokenNotYetValid, jwt.ErrTokenNotValidYet)
			}
			return cached, nil
		}
	}

	var hbuf [256]byte
	hraw, err := decodeSegment(hbuf[:], h64)
	if err != nil {
		return nil, err
	}
	h, err := parseHeader(string(hraw))
	if err != nil {
		return nil, err
	}
	if h.crit {
		return nil, fmt.Errorf("%w: crit", ErrCriticalHeader)
	}
	method := s.methods[h.alg]
	if method == nil {
		return nil, fmt.Errorf("%w: %w: alg %q", ErrAlgorithm, jwt.ErrTokenSignatureInvalid, h.alg)
	}
	if h.hasTyp && h.typ != "JWT" {
		return nil, fmt.Errorf("%w: typ %q", ErrTokenType, h.typ)
	}
	if h.hasCat && h.cat != CategorySession {
		return nil, fmt.Errorf("%w: category %q", ErrTokenType, h.cat)
	}
	if h.kid == "" {
		return nil, ErrMissingKID
	}

	var pbuf [2048]byte
	praw, err := decodeSegment(pbuf[:], p64)
	if err != nil {
		return nil, err
	}
	payload := string(praw)
	c, err := parseClaims(payload)
	if err != nil {
		return nil, err
	}
	// Before any key lookup, which may fetch: a token of another instance stops here.
	if !slices.Contains(s.issuers, c.iss) {
		return nil, fmt.Errorf("%w: %w", ErrIssuer, jwt.ErrTokenInvalidIssuer)
	}

	var sbuf [512]byte
	sig, err := decodeSegment(sbuf[:], sig64)
	if err != nil {
		return nil, err
	}
	// alg, typ and cat can only be the constants checked above: their boxed values are
	// shared, only the kid is boxed per request.
	hdr := make(map[string]any, 4)
	hdr["alg"], hdr["kid"] = s.boxedAlgs[h.alg], h.kid
	if h.hasTyp {
		hdr["typ"] = boxedJWT
	}
	if h.hasCat {
		hdr["cat"] = boxedSessionCategory
	}
	// Key sources get the header; the claims are not verified yet and stay out of reach.
	tok := &jwt.Token{Raw: token, Method: method, Header: hdr, Claims: jwt.MapClaims(nil)}
	key, err := v.key(ctx, tok)
	if err != nil {
		return nil, err
	}
	pub, ok := key.(*rsa.PublicKey)
	if !ok || pub.N == nil || pub.N.BitLen() < jwks.MinRSABits {
		return nil, fmt.Errorf("%w: %w: the key source returned %T", ErrInvalidSignature, jwt.ErrInvalidKeyType, key)
	}
	if err := method.Verify(signingInput, sig, pub); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSignature, jwt.ErrTokenSignatureInvalid)
	}

	if err := v.checkClaims(&c); err != nil {
		return nil, err
	}
	session := newSession(&c, payload, h.kid)
	if s.cache != nil {
		s.cache.Set(cacheKey, session, session.ExpiresAt.Add(s.leeway))
	}
	return session, nil
}

// Users returns the cache of Config.Users the verifier reads through (nil without
// Users): give it to the webhook sync so that its writes reach this cache.
func (v *Verifier) Users() *UserCache { return v.s.users }

// Authenticate verifies token and applies the checks of the configured stores: a
// revoked session fails with ErrSessionRevoked, a deactivated user with
// ErrUserDeactivated, a failing store (with nothing cached to answer) with
// ErrStoreUnavailable. The user is nil when no users store (Config.Users) is configured.
func (v *Verifier) Authenticate(ctx context.Context, token string) (*Session, *store.User, error) {
	s, err := v.Verify(ctx, token)
	if err != nil {
		return nil, nil, err
	}
	u, err := v.checkStores(ctx, s)
	if err != nil {
		return nil, nil, err
	}
	return s, u, nil
}

// checkStores applies the revocation and user checks to a verified session.
func (v *Verifier) checkStores(ctx context.Context, s *Session) (*store.User, error) {
	if v.s.revoked != nil {
		revoked, err := guardedRead(ctx, v.s.revokedBreaker, "revocations", func(ctx context.Context) (bool, error) {
			return v.s.revoked.Revoked(ctx, s.SessionID)
		})
		if err != nil {
			return nil, storeUnavailable("revocations", err)
		}
		if revoked {
			return nil, ErrSessionRevoked
		}
	}
	if v.s.users == nil {
		return nil, nil
	}
	return v.s.users.resolveUser(ctx, s)
}

// key asks the key source, mapping its errors onto this package's classes.
func (v *Verifier) key(ctx context.Context, tok *jwt.Token) (any, error) {
	var key any
	var err error
	if v.s.ctxKeys != nil {
		key, err = v.s.ctxKeys.Key(ctx, tok)
	} else {
		key, err = v.s.keys.Keyfunc(tok)
	}
	switch {
	case err == nil:
		return key, nil
	case errors.Is(err, jwks.ErrUnknownKey), errors.Is(err, jwks.ErrKeysUnavailable), errors.Is(err, jwks.ErrMissingKID):
		return nil, err
	case errors.Is(err, jwks.ErrKeyAlgorithm):
		return nil, fmt.Errorf("%w: %w", ErrAlgorithm, err)
	default:
		// A key source of the caller's that failed some other way: the token may be fine.
		return nil, fmt.Errorf("%w: %w", ErrKeysUnavailable, err)
	}
}

// checkClaims applies the rules that need a verified payload.
func (v *Verifier) checkClaims(c *claims) error {
	s := v.s
	now := s.now()
	if !c.hasExp {
		return fmt.Errorf("%w: %w: exp", ErrMissingClaim, jwt.ErrTokenRequiredClaimMissing)
	}
	if !now.Before(toTime(c.exp).Add(s.leeway)) {
		return fmt.Errorf("%w: %w", ErrTokenExpired, jwt.ErrTokenExpired)
	}
	if c.hasNbf && now.Add(s.leeway).Before(toTime(c.nbf)) {
		return fmt.Errorf("%w: %w", ErrTokenNotYetValid, jwt.ErrTokenNotValidYet)
	}
	if c.hasIat && now.Add(s.leeway).Before(toTime(c.iat)) {
		return fmt.Errorf("%w: %w: issued in the future", ErrTokenNotYetValid, jwt.ErrTokenUsedBeforeIssued)
	}
	if len(s.parties) > 0 && !slices.Contains(s.parties, c.azp) {
		if c.azp == "" {
			return fmt.Errorf("%w: azp missing", ErrAuthorizedParty)
		}
		return ErrAuthorizedParty
	}
	if c.sub == "" {
		return fmt.Errorf("%w: %w: sub", ErrMissingClaim, jwt.ErrTokenRequiredClaimMissing)
	}
	if strings.HasPrefix(c.sub, "mch_") {
		return fmt.Errorf("%w: a machine token", ErrTokenType)
	}
	if c.sid == "" {
		return fmt.Errorf("%w: %w: sid (a JWT-template token?)", ErrMissingClaim, jwt.ErrTokenRequiredClaimMissing)
	}
	switch c.sts {
	case "", StatusActive:
	case StatusPending:
		if !s.pending {
			return ErrSessionPending
		}
	default:
		return ErrSessionStatus
	}
	if c.version > 2 {
		return fmt.Errorf("%w: claims version %d", ErrTokenType, c.version)
	}
	return nil
}

// newSession builds the Session of verified claims.
func newSession(c *claims, payload, kid string) *Session {
	s := &Session{
		UserID:                c.sub,
		SessionID:             c.sid,
		Issuer:                c.iss,
		AuthorizedParty:       c.azp,
		TokenID:               c.jti,
		ExpiresAt:             toTime(c.exp),
		Status:                StatusActive,
		Version:               1,
		Actor:                 c.act,
		FactorVerificationAge: c.fva,
		Features:              splitFeatures(c.fea),
		Plan:                  c.pla,
		KeyID:                 kid,
		payload:               payload,
	}
	if c.hasIat {
		s.IssuedAt = toTime(c.iat)
	}
	if c.hasNbf {
		s.NotBefore = toTime(c.nbf)
	}
	if c.sts != "" {
		s.Status = c.sts
	}
	if c.version == 2 {
		s.Version = 2
		if c.o.present && c.o.id != "" {
			s.Org = orgctx.Org{
				ID:          c.o.id,
				Slug:        c.o.slg,
				Role:        orgctx.NormalizeRole(c.o.rol),
				Permissions: orgPermissionsV2(c.fea, c.o.per, c.o.fpm),
			}
		}
	} else if c.orgID != "" {
		s.Org = orgctx.Org{
			ID:          c.orgID,
			Slug:        c.orgSlug,
			Role:        orgctx.NormalizeRole(c.orgRole),
			Permissions: decodeStrings(c.orgPerms),
		}
	}
	return s
}
