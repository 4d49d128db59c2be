package write

import "sync/atomic"

// Counts are the stage's outcomes since start; the runner's metrics read
// them through Stats.
type Counts struct {
	Created, Adopted, Updated, Unchanged, Deleted, AlreadyGone atomic.Int64
	// StaleDropped: intents older than (or as old as) the last applied one.
	StaleDropped atomic.Int64
	// TombstoneSkipped: upserts of v1 records already deleted.
	TombstoneSkipped atomic.Int64
	// ETagRetries: re-GET rounds after a 409 stale ETag.
	ETagRetries atomic.Int64
	// SSOWriteBackFailed: v1 SSO group name write-backs that failed.
	SSOWriteBackFailed atomic.Int64
}

// Snapshot is a point-in-time copy of Counts.
type Snapshot struct {
	Created, Adopted, Updated, Unchanged, Deleted, AlreadyGone      int64
	StaleDropped, TombstoneSkipped, ETagRetries, SSOWriteBackFailed int64
}

// Snapshot copies the counters.
func (c *Counts) Snapshot() Snapshot {
	return Snapshot{
		Created: c.Created.Load(), Adopted: c.Adopted.Load(), Updated: c.Updated.Load(),
		Unchanged: c.Unchanged.Load(), Deleted: c.Deleted.Load(), AlreadyGone: c.AlreadyGone.Load(),
		StaleDropped: c.StaleDropped.Load(), TombstoneSkipped: c.TombstoneSkipped.Load(),
		ETagRetries: c.ETagRetries.Load(), SSOWriteBackFailed: c.SSOWriteBackFailed.Load(),
	}
}
