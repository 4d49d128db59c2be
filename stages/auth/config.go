// Package auth mints the Heimdall-style JWTs v1sync presents to the v2
// services, impersonating the v1 user who made a change when that user is
// known and safe to name, and the v1sync service principal otherwise.
package auth

import (
	"errors"
	"fmt"
	"time"
)

// Config holds the signing identity and lifetimes. The private key is not
// part of Config (it is passed to NewSigner) so that a printed Config never
// shows it.
type Config struct {
	// ClientID names the service principal "<ClientID>@clients".
	ClientID string
	// KeyID is the JWT "kid"; when empty it is read from JWKSURL.
	KeyID string
	// JWKSURL serves Heimdall's public keys; the first key's kid is used.
	JWKSURL string
	// HTTPTimeout bounds the JWKS fetch.
	HTTPTimeout time.Duration
	// TokenTTL is the token lifetime (exp - iat).
	TokenTTL time.Duration
	// NotBeforeSkew backdates nbf to absorb clock drift between hosts.
	NotBeforeSkew time.Duration
	// ReuseMargin: a cached token is not handed out in its last ReuseMargin.
	ReuseMargin time.Duration
	// UserCacheTTL and UserCacheSize bound the v1 user lookup cache.
	UserCacheTTL  time.Duration
	UserCacheSize int
}

// DefaultConfig matches the prior art's Heimdall defaults, except the client
// id: it is v1sync's own (the map stage's loop guard default), so that one
// setting names v1sync everywhere.
func DefaultConfig() Config {
	return Config{
		ClientID:      "v1sync",
		JWKSURL:       "http://lfx-platform-heimdall.lfx.svc.cluster.local:4457/.well-known/jwks",
		HTTPTimeout:   10 * time.Second,
		TokenTTL:      5 * time.Minute,
		NotBeforeSkew: 30 * time.Second,
		ReuseMargin:   time.Minute,
		UserCacheTTL:  10 * time.Minute,
		UserCacheSize: 10000,
	}
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.ClientID == "" {
		errs = append(errs, errors.New("auth: client id is required"))
	}
	if c.KeyID == "" && c.JWKSURL == "" {
		errs = append(errs, errors.New("auth: key id or JWKS URL is required"))
	}
	if c.HTTPTimeout <= 0 {
		errs = append(errs, fmt.Errorf("auth: http timeout %s: want > 0", c.HTTPTimeout))
	}
	if c.TokenTTL <= c.ReuseMargin || c.ReuseMargin < 0 {
		errs = append(errs, fmt.Errorf("auth: token ttl %s must exceed reuse margin %s", c.TokenTTL, c.ReuseMargin))
	}
	if c.NotBeforeSkew < 0 || c.UserCacheTTL < 0 || c.UserCacheSize < 0 {
		errs = append(errs, errors.New("auth: skew and cache bounds must not be negative"))
	}
	return errors.Join(errs...)
}

// ServicePrincipal is the principal v1sync acts as when it impersonates nobody.
func (c Config) ServicePrincipal() string { return c.ClientID + "@clients" }
