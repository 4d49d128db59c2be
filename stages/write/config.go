// Package write is the write stage: it applies V2_INTENTS to the v2 project
// and committee services, keeping the v1-mappings ID map in step, so that one
// v1 record maps to exactly one v2 object whatever the redeliveries, crashes
// and races.
//
// Per intent: a version guard in v1sync-state drops revisions at or below
// the last applied one. A create first claims the forward ID-map key (KV
// Create); a claim left pending by a crash or a lost answer is taken over
// with CAS once its lease has passed, and the object is found by natural key
// and adopted before any second POST. An update starts from the current v2
// object (v2-only fields survive the full-replacement PUT), skips unchanged
// content, and re-reads on a stale ETag. A delete tombstones the mappings.
package write

import (
	"errors"
	"fmt"
	"time"
)

// Config tunes the stage.
type Config struct {
	// SkipMemberNotifications is sent as X-Skip-Notification on member
	// create and delete, so synced changes do not email people.
	SkipMemberNotifications bool
	// MaxStaleRetries bounds re-GET-and-reapply rounds after a 409 stale
	// ETag before the intent is handed back to the runner as transient.
	MaxStaleRetries int
	// ConflictRetryAfter is the delay asked for when v2 reports an object
	// that the finders cannot see yet (indexer events lag writes).
	ConflictRetryAfter time.Duration
	// ClaimLease is how long a pending claim made by another worker is left
	// alone: its create may still be in flight, and recovering it early
	// could POST a second object. It must exceed the v2 HTTP timeout.
	ClaimLease time.Duration
}

// DefaultConfig matches the prior art (notifications skipped).
func DefaultConfig() Config {
	return Config{SkipMemberNotifications: true, MaxStaleRetries: 5, ConflictRetryAfter: 2 * time.Second,
		ClaimLease: 30 * time.Second}
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.MaxStaleRetries < 1 {
		errs = append(errs, fmt.Errorf("write: max stale retries %d: want >= 1", c.MaxStaleRetries))
	}
	if c.ConflictRetryAfter <= 0 || c.ClaimLease <= 0 {
		errs = append(errs, errors.New("write: conflict retry delay and claim lease must be positive"))
	}
	return errors.Join(errs...)
}
