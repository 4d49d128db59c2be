package v2sim

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Heimdall token facts shared by both services (spec §1.1).
const (
	tokenIssuer = "heimdall"
	tokenAlg    = "PS256"
	clockSkew   = 5 * time.Second
)

// TokenClaims is what a test token says. Empty Issuer means "heimdall",
// zero TTL means 5 minutes (what the sync helper mints).
type TokenClaims struct {
	Principal string
	Email     string
	Audience  string
	Issuer    string
	TTL       time.Duration
}

// MintToken signs c with key the way trusted internal callers do: PS256,
// header kid, sub = principal, nbf 30 s in the past.
func MintToken(key *rsa.PrivateKey, kid string, c TokenClaims) (string, error) {
	if c.Issuer == "" {
		c.Issuer = tokenIssuer
	}
	if c.TTL == 0 {
		c.TTL = 5 * time.Minute
	}
	now := time.Now()
	claims := jwt.MapClaims{
		"iss": c.Issuer, "aud": c.Audience, "sub": c.Principal,
		"iat": now.Unix(), "nbf": now.Add(-30 * time.Second).Unix(), "exp": now.Add(c.TTL).Unix(),
		"jti": uuid.NewString(),
	}
	if c.Principal != "" {
		claims["principal"] = c.Principal
	}
	if c.Email != "" {
		claims["email"] = c.Email
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodPS256, claims)
	tok.Header["kid"] = kid
	return tok.SignedString(key)
}

// signingKey is the simulator's own Heimdall key.
type signingKey struct {
	key *rsa.PrivateKey
	kid string
}

// signingKey returns the configured key or a fresh one.
func (c Config) signingKey() (*signingKey, error) {
	if c.SigningKey != nil {
		kid := c.SigningKeyID
		if kid == "" {
			kid = "v2sim"
		}
		return &signingKey{key: c.SigningKey, kid: kid}, nil
	}
	return newSigningKey()
}

func newSigningKey() (*signingKey, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("v2sim: generate signing key: %w", err)
	}
	return &signingKey{key: k, kid: "v2sim-" + uuid.NewString()[:8]}, nil
}

func (k *signingKey) pem() []byte {
	der, _ := x509.MarshalPKCS8PrivateKey(k.key)
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// identity is what the services take from a valid token.
type identity struct {
	principal string
	email     string
	expires   time.Time
}

// verifier checks Heimdall tokens. Verified tokens are cached until expiry
// so that benchmarks measure the simulator, not RSA; the answer is the same.
type verifier struct {
	keys  keySource
	mu    sync.Mutex
	cache map[tokenKey]identity
}

// tokenKey avoids building a new string per request for the cache lookup.
type tokenKey struct {
	audiences string
	token     string
}

// keySource finds the public key a token's kid names.
type keySource interface {
	key(kid string) (*rsa.PublicKey, error)
}

type staticKey struct{ k *signingKey }

func (s staticKey) key(kid string) (*rsa.PublicKey, error) {
	if kid != "" && kid != s.k.kid {
		return nil, fmt.Errorf("unknown key id %q", kid)
	}
	return &s.k.key.PublicKey, nil
}

const maxCachedTokens = 10000

func newVerifier(keys keySource) *verifier {
	return &verifier{keys: keys, cache: make(map[tokenKey]identity)}
}

var errNoPrincipal = errors.New("principal claim is missing or empty")

// verify accepts a token issued for any of audiences.
func (v *verifier) verify(token string, audiences ...string) (identity, error) {
	ck := tokenKey{token: token, audiences: audiences[0]}
	if len(audiences) > 1 {
		ck.audiences = strings.Join(audiences, ",")
	}
	v.mu.Lock()
	id, ok := v.cache[ck]
	v.mu.Unlock()
	if ok && time.Now().Before(id.expires.Add(clockSkew)) {
		return id, nil
	}
	id, err := v.parse(token, audiences)
	if err != nil {
		return identity{}, err
	}
	v.mu.Lock()
	if len(v.cache) >= maxCachedTokens {
		clear(v.cache)
	}
	v.cache[ck] = id
	v.mu.Unlock()
	return id, nil
}

func (v *verifier) parse(token string, audiences []string) (identity, error) {
	p := jwt.NewParser(jwt.WithValidMethods([]string{tokenAlg}), jwt.WithIssuer(tokenIssuer),
		jwt.WithAudience(audiences...), jwt.WithLeeway(clockSkew))
	claims := jwt.MapClaims{}
	_, err := p.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		return v.keys.key(kid)
	})
	if err != nil {
		return identity{}, err
	}
	principal, _ := claims["principal"].(string)
	if principal == "" {
		return identity{}, errNoPrincipal
	}
	email, _ := claims["email"].(string)
	id := identity{principal: principal, email: email, expires: time.Now().Add(time.Minute)}
	if exp, err := claims.GetExpirationTime(); err == nil && exp != nil {
		id.expires = exp.Time
	}
	return id, nil
}
