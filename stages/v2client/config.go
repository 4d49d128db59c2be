// Package v2client calls the LFX One project and committee services as a
// trusted internal caller: self-minted Heimdall tokens, GET with ETag,
// conditional PUT/DELETE, and typed errors that say whether a retry can help.
package v2client

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Config locates the services.
type Config struct {
	ProjectURL   string
	CommitteeURL string
	// Audiences of the services' JWT validation.
	ProjectAudience   string
	CommitteeAudience string
	// Timeout bounds one HTTP call; keep it well under the consumer's
	// AckWait so a hung call is retried, not redelivered mid-flight.
	Timeout time.Duration
	// RequestTimeout bounds one NATS request/reply lookup.
	RequestTimeout time.Duration
}

// DefaultConfig uses the in-cluster service names.
func DefaultConfig() Config {
	return Config{
		ProjectURL:        "http://lfx-v2-project-service.lfx.svc.cluster.local:8080",
		CommitteeURL:      "http://lfx-v2-committee-service.lfx.svc.cluster.local:8080",
		ProjectAudience:   "lfx-v2-project-service",
		CommitteeAudience: "lfx-v2-committee-service",
		Timeout:           10 * time.Second,
		RequestTimeout:    5 * time.Second,
	}
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	var errs []error
	for name, u := range map[string]string{"project": c.ProjectURL, "committee": c.CommitteeURL} {
		if p, err := url.Parse(u); err != nil || p.Scheme == "" || p.Host == "" {
			errs = append(errs, fmt.Errorf("v2client: %s service URL %q is not absolute", name, u))
		}
	}
	if c.ProjectAudience == "" || c.CommitteeAudience == "" {
		errs = append(errs, errors.New("v2client: audiences are required"))
	}
	if c.Timeout <= 0 || c.RequestTimeout <= 0 {
		errs = append(errs, errors.New("v2client: timeouts must be positive"))
	}
	return errors.Join(errs...)
}
