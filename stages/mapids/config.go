package mapids

import (
	"errors"
	"fmt"
	"time"
)

// Config tunes the map stage. Start from DefaultConfig.
type Config struct {
	// ClientID is v1sync's own client id in v1: rows last modified by
	// "<ClientID>@clients" were written by v1sync and are not echoed back.
	ClientID string
	// Partitions of V2_INTENTS; must match the provisioned topology.
	Partitions int
	// ParentRetryBase and ParentRetryMax bound the delay before a row whose
	// parent is not mapped yet is tried again; the delay doubles per delivery.
	ParentRetryBase time.Duration
	ParentRetryMax  time.Duration
	// ParentMaxDeliveries is the attempt after which a row whose parent is
	// still unmapped is dead-lettered as "parent-unmapped". The runner's
	// MaxDeliveries also ends the wait (the reason is kept either way), so
	// set both when a longer wait is wanted.
	ParentMaxDeliveries uint64
	// RootSlug is the slug of the v2 project that top-level v1 projects hang under.
	RootSlug string
	// LookupTimeout bounds one NATS request (the ROOT uid lookup).
	LookupTimeout time.Duration
}

// DefaultConfig: 10 attempts (the runner's default) with delays 2s, 4s, ...
// capped at 1 minute give a parent about 5 minutes to appear, which covers
// the write stage creating it after the child arrived.
func DefaultConfig() Config {
	return Config{
		ClientID:            "v1sync",
		Partitions:          16,
		ParentRetryBase:     2 * time.Second,
		ParentRetryMax:      time.Minute,
		ParentMaxDeliveries: 10,
		RootSlug:            "ROOT",
		LookupTimeout:       5 * time.Second,
	}
}

// Validate reports every setting that cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.ClientID == "" {
		errs = append(errs, errors.New("mapids: client id is required (the loop guard depends on it)"))
	}
	if c.Partitions < 1 || c.Partitions > 1024 {
		errs = append(errs, fmt.Errorf("mapids: partitions %d: want 1 to 1024", c.Partitions))
	}
	if c.ParentRetryBase <= 0 || c.ParentRetryMax < c.ParentRetryBase {
		errs = append(errs, fmt.Errorf("mapids: parent retry %s..%s: want 0 < base <= max", c.ParentRetryBase, c.ParentRetryMax))
	}
	if c.ParentMaxDeliveries < 1 {
		errs = append(errs, errors.New("mapids: parent max deliveries must be at least 1"))
	}
	if c.RootSlug == "" {
		errs = append(errs, errors.New("mapids: root slug is required"))
	}
	if c.LookupTimeout <= 0 {
		errs = append(errs, fmt.Errorf("mapids: lookup timeout %s: want > 0", c.LookupTimeout))
	}
	return errors.Join(errs...)
}

// loopGuardAuthor is the lastmodifiedbyid of rows v1sync wrote itself.
func (c Config) loopGuardAuthor() string { return c.ClientID + "@clients" }

// parentRetryDelay is the wait before delivery n+1 of a row whose parent is missing.
func (c Config) parentRetryDelay(deliveries uint64) time.Duration {
	d := c.ParentRetryBase
	for i := uint64(1); i < deliveries && d < c.ParentRetryMax; i++ {
		d *= 2
	}
	return min(d, c.ParentRetryMax)
}
