package v1users

import (
	"errors"
	"fmt"
	"time"
)

// Config tunes the lookups.
type Config struct {
	// QueryTimeout bounds one database query (the prior art used 10 s).
	QueryTimeout time.Duration
	// CacheTTL is how long an answer, found or not, is reused. Staff and
	// principal lookups repeat for every row a user touched.
	CacheTTL time.Duration
	// CacheSize bounds the cached answers; past it the cache starts over.
	CacheSize int
}

// DefaultConfig returns the settings the map and write stages run with.
func DefaultConfig() Config {
	return Config{QueryTimeout: 10 * time.Second, CacheTTL: 10 * time.Minute, CacheSize: 50_000}
}

// Validate reports every setting that cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.QueryTimeout <= 0 {
		errs = append(errs, fmt.Errorf("v1users: query timeout %s: want > 0", c.QueryTimeout))
	}
	if c.CacheTTL < 0 || c.CacheSize < 0 {
		errs = append(errs, fmt.Errorf("v1users: cache ttl %s, size %d: want >= 0", c.CacheTTL, c.CacheSize))
	}
	return errors.Join(errs...)
}
