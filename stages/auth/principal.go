package auth

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"time"
)

// User is what v1 knows about a Salesforce user that matters for a token.
type User struct {
	Username string
	Email    string
}

// UserDirectory finds a v1 user by SFID. found is false for an unknown or
// deleted user.
type UserDirectory interface {
	LookupUser(ctx context.Context, sfid string) (u User, found bool, err error)
}

var (
	// safeUsername is the LFID shape v2 accepts as a principal.
	safeUsername = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,58}[A-Za-z0-9]$`)
	// hexDigest usernames are hashed ids, not LFIDs.
	hexDigest = regexp.MustCompile(`^[0-9a-f]{24,60}$`)
)

// SafeUsername reports whether name can be used as a v2 principal.
func SafeUsername(name string) bool {
	return safeUsername.MatchString(name) && !hexDigest.MatchString(name)
}

// Resolver turns the v1 principal of a change (a lastmodifiedbyid) into the
// identity to impersonate, falling back to the service principal whenever
// the user cannot be named safely (the prior art's rules).
type Resolver struct {
	service string
	users   UserDirectory
	ttl     time.Duration
	size    int

	mu    sync.Mutex
	cache map[string]cachedIdentity
	now   func() time.Time
}

type cachedIdentity struct {
	id      Identity
	expires time.Time
}

// NewResolver returns a resolver; users may be nil (always the service).
func NewResolver(cfg Config, users UserDirectory) *Resolver {
	return &Resolver{
		service: cfg.ServicePrincipal(), users: users,
		ttl: cfg.UserCacheTTL, size: cfg.UserCacheSize,
		cache: map[string]cachedIdentity{}, now: time.Now,
	}
}

// Service returns the service identity.
func (r *Resolver) Service() Identity { return Identity{Principal: r.service} }

// Resolve returns the identity for a v1 principal.
func (r *Resolver) Resolve(ctx context.Context, v1Principal string) Identity {
	p := strings.TrimSpace(v1Principal)
	switch {
	case p == "" || p == "platform":
		return r.Service()
	case strings.HasSuffix(p, "@clients"):
		return Identity{Principal: p}
	case strings.HasPrefix(p, "00") && !strings.HasPrefix(p, "003") && !strings.HasPrefix(p, "00Q"):
		// Salesforce user (not contact/lead) ids are unknown to the user table.
		return r.Service()
	case r.users == nil:
		return r.Service()
	}
	if id, ok := r.cached(p); ok {
		return id
	}
	u, found, err := r.users.LookupUser(ctx, p)
	if err != nil {
		// Not cached: a transient read error must not pin the fallback.
		return r.Service()
	}
	id := r.Service()
	if found && SafeUsername(u.Username) {
		id = Identity{Principal: u.Username, Email: u.Email}
	}
	r.store(p, id)
	return id
}

func (r *Resolver) cached(p string) (Identity, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.cache[p]
	if !ok || r.now().After(c.expires) {
		return Identity{}, false
	}
	return c.id, true
}

func (r *Resolver) store(p string, id Identity) {
	if r.ttl <= 0 || r.size <= 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.cache) >= r.size {
		// Crude but bounded: a full cache starts over.
		clear(r.cache)
	}
	r.cache[p] = cachedIdentity{id: id, expires: r.now().Add(r.ttl)}
}
