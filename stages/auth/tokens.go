package auth

import (
	"context"
	"sync"
	"time"
)

// Tokens hands out bearer tokens per (audience, v1 principal), minting a new
// one only when the cached one enters its last ReuseMargin.
type Tokens struct {
	signer   *Signer
	resolver *Resolver
	margin   time.Duration

	mu    sync.Mutex
	cache map[tokenKey]cachedToken
}

type tokenKey struct{ audience, principal string }

type cachedToken struct {
	token   string
	expires time.Time
}

// NewTokens returns a token source.
func NewTokens(cfg Config, signer *Signer, resolver *Resolver) *Tokens {
	return &Tokens{signer: signer, resolver: resolver, margin: cfg.ReuseMargin, cache: map[tokenKey]cachedToken{}}
}

// Token returns a token for audience acting as v1Principal ("" = service).
func (t *Tokens) Token(ctx context.Context, audience, v1Principal string) (string, error) {
	k := tokenKey{audience, v1Principal}
	now := t.signer.now()
	t.mu.Lock()
	c, ok := t.cache[k]
	t.mu.Unlock()
	if ok && now.Add(t.margin).Before(c.expires) {
		return c.token, nil
	}
	tok, exp, err := t.signer.Mint(audience, t.resolver.Resolve(ctx, v1Principal))
	if err != nil {
		return "", err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweep(now)
	t.cache[k] = cachedToken{token: tok, expires: exp}
	return tok, nil
}

// sweep drops expired tokens so the cache stays as large as the set of
// principals active within one token lifetime. Called with mu held.
func (t *Tokens) sweep(now time.Time) {
	if len(t.cache) < 1024 {
		return
	}
	for k, c := range t.cache {
		if !now.Before(c.expires) {
			delete(t.cache, k)
		}
	}
}
