package clerkauthtest

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"maps"
	"strconv"
	"strings"
	"time"
)

// Token categories Clerk puts in the "cat" header.
const (
	CategorySession  = "cl_B7d4PD111AAA"
	CategoryTemplate = "cl_B7d4PD222AAA"
	CategoryMachine  = "cl_B7d4PD333AAA"
)

// DefaultLifetime is the lifetime of a Clerk session token: 60 seconds.
const DefaultLifetime = 60 * time.Second

// DefaultClockSkew is how far before iat Clerk sets nbf.
const DefaultClockSkew = 10 * time.Second

// TokenBuilder builds one session token. Its methods change the builder and return it, so
// calls chain; Sign (or a broken variant) ends the chain. Defaults, like a real v2 Clerk
// session token: a random user and session, iss of the issuer, iat now, nbf 10 s before,
// exp 60 s after, v 2, a jti, fva [0,-1], header alg RS256 with the signing key's kid,
// typ JWT and cat of a session token. No azp unless set.
type TokenBuilder struct {
	iss     *Issuer
	header  map[string]any
	claims  map[string]any
	issued  time.Time
	life    time.Duration
	exp     *time.Time
	nbf     *time.Time
	version int
	org     *orgClaims
	feats   []string
	drop    map[string]bool
	key     *rsa.PrivateKey
}

type orgClaims struct {
	id, slug, role string
	perms          []string
}

// Token starts a session token for this instance.
func (i *Issuer) Token() *TokenBuilder {
	k := i.SigningKey()
	return &TokenBuilder{
		iss: i,
		header: map[string]any{
			"alg": "RS256", "kid": k.ID, "typ": "JWT", "cat": CategorySession,
		},
		claims: map[string]any{
			"iss": i.Issuer(),
			"sub": NewID("user_"),
			"sid": NewID("sess_"),
			"jti": strings.ToLower(NewID(""))[:20],
			"fva": []int{0, -1},
		},
		issued:  i.clock(),
		life:    DefaultLifetime,
		version: 2,
		drop:    map[string]bool{},
		key:     k.Private,
	}
}

// User sets sub, the Clerk user id.
func (b *TokenBuilder) User(id string) *TokenBuilder { return b.Claim("sub", id) }

// Session sets sid, the Clerk session id.
func (b *TokenBuilder) Session(id string) *TokenBuilder { return b.Claim("sid", id) }

// AuthorizedParty sets azp, the origin the token was requested from.
func (b *TokenBuilder) AuthorizedParty(origin string) *TokenBuilder { return b.Claim("azp", origin) }

// IssuerClaim sets iss (to impersonate another instance, say).
func (b *TokenBuilder) IssuerClaim(iss string) *TokenBuilder { return b.Claim("iss", iss) }

// IssuedAt sets iat; nbf and exp follow from it unless set explicitly.
func (b *TokenBuilder) IssuedAt(t time.Time) *TokenBuilder { b.issued = t; return b }

// Lifetime sets exp - iat (default 60 s).
func (b *TokenBuilder) Lifetime(d time.Duration) *TokenBuilder { b.life = d; return b }

// ExpiresAt sets exp.
func (b *TokenBuilder) ExpiresAt(t time.Time) *TokenBuilder { b.exp = &t; return b }

// NotBefore sets nbf.
func (b *TokenBuilder) NotBefore(t time.Time) *TokenBuilder { b.nbf = &t; return b }

// V1 makes the token use session-token claims version 1 (org_id, org_slug, org_role,
// org_permissions; no v, fea, o).
func (b *TokenBuilder) V1() *TokenBuilder { b.version = 1; return b }

// V2 makes the token use version 2 (v, fea, o), the default.
func (b *TokenBuilder) V2() *TokenBuilder { b.version = 2; return b }

// Org makes the organization active: id, slug, role (with or without the "org:" prefix)
// and permissions in Clerk's "org:<feature>:<permission>" form. In a v2 token they are
// encoded the way Clerk does: fea lists "o:<feature>", o.per the permission names, and
// o.fpm one bit mask per feature, least significant bit first.
func (b *TokenBuilder) Org(id, slug, role string, permissions ...string) *TokenBuilder {
	b.org = &orgClaims{id: id, slug: slug, role: role, perms: permissions}
	return b
}

// Features adds entries to fea (e.g. "u:premium"), after the org features.
func (b *TokenBuilder) Features(features ...string) *TokenBuilder {
	b.feats = append(b.feats, features...)
	return b
}

// Plan sets pla (e.g. "u:free", "o:pro").
func (b *TokenBuilder) Plan(plan string) *TokenBuilder { return b.Claim("pla", plan) }

// Pending sets sts to "pending": a session with tasks left (choosing an org, say).
func (b *TokenBuilder) Pending() *TokenBuilder { return b.Claim("sts", "pending") }

// Actor sets act, as during impersonation: the impersonating user and their session.
func (b *TokenBuilder) Actor(sub, sid string) *TokenBuilder {
	return b.Claim("act", map[string]any{"iss": b.iss.Issuer(), "sid": sid, "sub": sub})
}

// FactorAge sets fva: minutes since the first and second factor were verified (-1: never).
func (b *TokenBuilder) FactorAge(first, second int) *TokenBuilder {
	return b.Claim("fva", []int{first, second})
}

// Category sets the cat header (CategorySession, CategoryTemplate, CategoryMachine, or
// anything else); an empty string removes it.
func (b *TokenBuilder) Category(cat string) *TokenBuilder {
	if cat == "" {
		return b.WithoutHeader("cat")
	}
	return b.Header("cat", cat)
}

// Claim sets any claim, overriding a default (a custom claim, or a wrongly typed one such
// as an exp given as a string).
func (b *TokenBuilder) Claim(name string, value any) *TokenBuilder {
	delete(b.drop, name)
	b.claims[name] = value
	return b
}

// Without removes claims, defaults included (exp, sid, iss, …).
func (b *TokenBuilder) Without(names ...string) *TokenBuilder {
	for _, n := range names {
		b.drop[n] = true
	}
	return b
}

// Header sets a header parameter (kid, alg, crit, jku, …).
func (b *TokenBuilder) Header(name string, value any) *TokenBuilder {
	b.header[name] = value
	return b
}

// WithoutHeader removes header parameters.
func (b *TokenBuilder) WithoutHeader(names ...string) *TokenBuilder {
	for _, n := range names {
		delete(b.header, n)
	}
	return b
}

// KeyID sets the kid header.
func (b *TokenBuilder) KeyID(kid string) *TokenBuilder { return b.Header("kid", kid) }

// Algorithm sets the alg header and signs accordingly: RS256 (default), RS384 or RS512.
func (b *TokenBuilder) Algorithm(alg string) *TokenBuilder { return b.Header("alg", alg) }

// SignWith signs with another key (an attacker's, or a retired one) instead of the
// issuer's current key; the kid header is unchanged unless set with KeyID.
func (b *TokenBuilder) SignWith(k *rsa.PrivateKey) *TokenBuilder { b.key = k; return b }

// Claims returns the payload the token will carry. A value set with Claim wins over the
// builder's own (iat, nbf, exp, v, org claims), so any claim can be given a wrong type.
func (b *TokenBuilder) Claims() map[string]any {
	c := map[string]any{"iat": b.issued.Unix()}
	nbf := b.issued.Add(-DefaultClockSkew)
	if b.nbf != nil {
		nbf = *b.nbf
	}
	c["nbf"] = nbf.Unix()
	exp := b.issued.Add(b.life)
	if b.exp != nil {
		exp = *b.exp
	}
	c["exp"] = exp.Unix()
	if b.version == 2 {
		c["v"] = 2
	}
	b.orgClaims(c)
	maps.Copy(c, b.claims)
	for n := range b.drop {
		delete(c, n)
	}
	return c
}

func (b *TokenBuilder) orgClaims(c map[string]any) {
	feats := []string{}
	if b.org != nil {
		role := b.org.role
		switch b.version {
		case 1:
			if !strings.HasPrefix(role, "org:") {
				role = "org:" + role
			}
			perms := b.org.perms
			if perms == nil {
				perms = []string{}
			}
			c["org_id"], c["org_slug"], c["org_role"], c["org_permissions"] = b.org.id, b.org.slug, role, perms
		default:
			fea, per, fpm := EncodePermissions(b.org.perms)
			feats = append(feats, fea...)
			c["o"] = map[string]any{
				"id": b.org.id, "slg": b.org.slug, "rol": strings.TrimPrefix(role, "org:"),
				"per": strings.Join(per, ","), "fpm": fpm,
			}
		}
	}
	feats = append(feats, b.feats...)
	if b.version == 2 && len(feats) > 0 {
		c["fea"] = strings.Join(feats, ",")
	}
}

// EncodePermissions encodes "org:<feature>:<permission>" strings the way a v2 session
// token carries them: fea entries "o:<feature>" (in order of first appearance), the
// permission names per (in order of first appearance), and fpm, a comma-separated decimal
// bit mask per feature where bit j (least significant first) grants per[j].
func EncodePermissions(perms []string) (fea, per []string, fpm string) {
	featIdx := map[string]int{}
	permIdx := map[string]int{}
	var masks []uint64
	for _, p := range perms {
		rest, ok := strings.CutPrefix(p, "org:")
		feature, name, ok2 := strings.Cut(rest, ":")
		if !ok || !ok2 || feature == "" || name == "" {
			panic("clerkauthtest: permission " + p + " is not of the form org:<feature>:<permission>")
		}
		fi, seen := featIdx[feature]
		if !seen {
			fi = len(fea)
			featIdx[feature] = fi
			fea = append(fea, "o:"+feature)
			masks = append(masks, 0)
		}
		pi, seen := permIdx[name]
		if !seen {
			pi = len(per)
			permIdx[name] = pi
			per = append(per, name)
		}
		masks[fi] |= 1 << pi
	}
	parts := make([]string, len(masks))
	for i, m := range masks {
		parts[i] = strconv.FormatUint(m, 10)
	}
	return fea, per, strings.Join(parts, ",")
}

// Sign returns the signed compact token.
func (b *TokenBuilder) Sign() string {
	header, payload := b.encode()
	alg, _ := b.header["alg"].(string)
	return SignRaw(b.key, alg, header, payload)
}

// SignHS256 returns the token signed with HMAC-SHA256 under secret and alg HS256 in the
// header (an algorithm-confusion attempt).
func (b *TokenBuilder) SignHS256(secret []byte) string {
	b.header["alg"] = "HS256"
	header, payload := b.encode()
	input := b64(header) + "." + b64(payload)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// Unsigned returns the token with alg "none" and an empty signature.
func (b *TokenBuilder) Unsigned() string {
	b.header["alg"] = "none"
	header, payload := b.encode()
	return b64(header) + "." + b64(payload) + "."
}

func (b *TokenBuilder) encode() (header, payload []byte) {
	header, err := json.Marshal(b.header)
	if err != nil {
		panic("clerkauthtest: encoding the header: " + err.Error())
	}
	payload, err = json.Marshal(b.Claims())
	if err != nil {
		panic("clerkauthtest: encoding the claims: " + err.Error())
	}
	return header, payload
}

// SignRaw signs arbitrary header and payload bytes (duplicate keys, odd types, anything)
// with key under alg (RS256, RS384 or RS512; anything else signs as RS256), returning the
// compact token.
func (i *Issuer) SignRaw(header, payload []byte) string {
	alg := "RS256"
	var h map[string]any
	if json.Unmarshal(header, &h) == nil {
		if a, ok := h["alg"].(string); ok {
			alg = a
		}
	}
	return SignRaw(i.SigningKey().Private, alg, header, payload)
}

// SignRaw signs header and payload bytes with key under alg (RS256, RS384 or RS512;
// anything else signs as RS256) and returns the compact token.
func SignRaw(key *rsa.PrivateKey, alg string, header, payload []byte) string {
	input := b64(header) + "." + b64(payload)
	var h crypto.Hash
	var sum []byte
	switch alg {
	case "RS384":
		s := sha512.Sum384([]byte(input))
		h, sum = crypto.SHA384, s[:]
	case "RS512":
		s := sha512.Sum512([]byte(input))
		h, sum = crypto.SHA512, s[:]
	default:
		s := sha256.Sum256([]byte(input))
		h, sum = crypto.SHA256, s[:]
	}
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, h, sum)
	if err != nil {
		panic("clerkauthtest: signing: " + err.Error())
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
