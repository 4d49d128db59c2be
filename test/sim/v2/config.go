package v2sim

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"time"
)

// AuthMode selects who rejects a bad token.
type AuthMode string

const (
	// AuthDirect behaves like a service called on its ClusterIP: a token
	// that fails validation ends as a Goa 500 fault.
	AuthDirect AuthMode = "direct"
	// AuthGateway behaves like Traefik+Heimdall in front: bare status, no body.
	AuthGateway AuthMode = "gateway"
)

// Default audiences of the two services.
const (
	AudienceProjects   = "lfx-v2-project-service"
	AudienceCommittees = "lfx-v2-committee-service"
)

// Delay is a uniformly random duration in [Min, Max].
type Delay struct {
	Min, Max time.Duration
}

// Config configures a simulator. Zero values are not all valid: start from
// DefaultConfig().
type Config struct {
	// Addr is the HTTP listen address; port 0 picks a free port.
	Addr string
	// AuthMode is AuthDirect (default) or AuthGateway.
	AuthMode AuthMode
	// GatewayDenyStatus is the bare status Heimdall returns for a bad token.
	GatewayDenyStatus int
	// ProjectAudience and CommitteeAudience are the JWT audiences required
	// by each service.
	ProjectAudience, CommitteeAudience string
	// JWKSURL, when set, is where tokens' keys come from (cached 5 min).
	// Empty means the simulator's own key, served at /.well-known/jwks.
	JWKSURL string
	// EventDelay is how late indexer events arrive when X-Sync is not true.
	EventDelay Delay
	// InternalEffects enables the services' background flows: total_members
	// recount on member create/delete and member fan-out on committee rename.
	InternalEffects bool
	// Users is the auth-service stand-in used for enrichment, keyed by
	// email (case-insensitive). Unknown emails enrich to username "".
	Users map[string]User
	// UnknownOrgs lists SFIDs the member service does not know; they are
	// cleared from members as the real service does. Others are kept.
	UnknownOrgs map[string]bool
	// SigningKey, when set, is the simulator's Heimdall key (its kid is
	// SigningKeyID); nil generates a fresh 2048-bit key at start.
	SigningKey   *rsa.PrivateKey
	SigningKeyID string
	// RootUID fixes the seeded ROOT project's uid; empty picks a random one.
	RootUID string
	// Faults are installed at start (see ParseFault).
	Faults map[Endpoint]Fault
}

// User is what auth-service knows about an email.
type User struct {
	Username, Name, Avatar, GivenName, FamilyName string
}

// DefaultConfig returns a loopback simulator in direct-auth mode with the
// spec's default event lag (200–1500 ms).
func DefaultConfig() Config {
	return Config{
		Addr:              "127.0.0.1:0",
		AuthMode:          AuthDirect,
		GatewayDenyStatus: 403,
		ProjectAudience:   AudienceProjects,
		CommitteeAudience: AudienceCommittees,
		EventDelay:        Delay{Min: 200 * time.Millisecond, Max: 1500 * time.Millisecond},
		InternalEffects:   true,
	}
}

// Validate reports the first invalid setting.
func (c Config) Validate() error {
	switch {
	case c.Addr == "":
		return errors.New("v2sim: Addr is required")
	case c.AuthMode != AuthDirect && c.AuthMode != AuthGateway:
		return fmt.Errorf("v2sim: AuthMode %q is not %q or %q", c.AuthMode, AuthDirect, AuthGateway)
	case c.ProjectAudience == "" || c.CommitteeAudience == "":
		return errors.New("v2sim: both audiences are required")
	case c.EventDelay.Min < 0 || c.EventDelay.Max < c.EventDelay.Min:
		return fmt.Errorf("v2sim: EventDelay [%s, %s] is not a range", c.EventDelay.Min, c.EventDelay.Max)
	case c.AuthMode == AuthGateway && (c.GatewayDenyStatus < 400 || c.GatewayDenyStatus > 499):
		return fmt.Errorf("v2sim: GatewayDenyStatus %d is not a 4xx", c.GatewayDenyStatus)
	}
	for ep, f := range c.Faults {
		if err := f.validate(); err != nil {
			return fmt.Errorf("v2sim: fault on %q: %w", ep, err)
		}
	}
	return nil
}
