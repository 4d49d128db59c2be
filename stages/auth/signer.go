package auth

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Identity is who a token speaks for.
type Identity struct {
	Principal string
	// Email is optional; the services treat it as informational.
	Email string
}

// Signer mints Heimdall-style tokens.
type Signer struct {
	key *rsa.PrivateKey
	kid string
	cfg Config
	now func() time.Time
}

// NewSigner returns a signer for key. Without cfg.KeyID the kid is fetched
// from cfg.JWKSURL (bounded by cfg.HTTPTimeout).
func NewSigner(ctx context.Context, cfg Config, key *rsa.PrivateKey) (*Signer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if key == nil {
		return nil, errors.New("auth: signer needs a private key")
	}
	kid := cfg.KeyID
	if kid == "" {
		var err error
		kid, err = FetchKeyID(ctx, &http.Client{Timeout: cfg.HTTPTimeout}, cfg.JWKSURL)
		if err != nil {
			return nil, err
		}
	}
	return &Signer{key: key, kid: kid, cfg: cfg, now: time.Now}, nil
}

// KeyID returns the kid put in every token header.
func (s *Signer) KeyID() string { return s.kid }

// Mint returns a PS256 token for audience and the time it expires. aud is a
// single string and sub equals principal, as Heimdall mints them (the
// services read principal; sub must match it).
func (s *Signer) Mint(audience string, id Identity) (string, time.Time, error) {
	now := s.now()
	exp := now.Add(s.cfg.TokenTTL)
	c := jwt.MapClaims{
		"iss":       "heimdall",
		"sub":       id.Principal,
		"principal": id.Principal,
		"aud":       audience,
		"iat":       now.Unix(),
		"nbf":       now.Add(-s.cfg.NotBeforeSkew).Unix(),
		"exp":       exp.Unix(),
		"jti":       uuid.NewString(),
	}
	if id.Email != "" {
		c["email"] = id.Email
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodPS256, c)
	tok.Header["kid"] = s.kid
	signed, err := tok.SignedString(s.key)
	if err != nil {
		// The jwt library's errors do not carry key material.
		return "", time.Time{}, fmt.Errorf("auth: sign token for %s: %w", audience, err)
	}
	return signed, exp, nil
}
