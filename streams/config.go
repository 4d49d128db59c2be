package streams

import (
	"errors"
	"fmt"
	"time"
)

// Config sizes the topology. The zero value is not valid; start from
// DefaultConfig.
type Config struct {
	// Replicas of every stream and bucket: 1 on a single server, 3 in a cluster.
	Replicas int
	// Partitions splits V1_CHANGES and V2_INTENTS by key. It caps how many
	// processes can share one stage and is fixed for the life of a stream.
	Partitions int
	// WorkMaxAge is how long V1_CHANGES, V2_INTENTS and V2_EVENTS keep
	// messages: the horizon for replays.
	WorkMaxAge time.Duration
	// DLQMaxAge is how long dead letters stay for inspection and redrive.
	DLQMaxAge time.Duration
	// Duplicates is the Nats-Msg-Id de-duplication window. It must outlast
	// the longest outage after which a stage republishes the same outputs.
	Duplicates time.Duration
	// AckWait is how long a consumer waits for an ack before redelivering.
	AckWait time.Duration
	// MaxDeliver bounds server-side deliveries. The runner dead-letters
	// before this (see pipeline.Config.MaxDeliveries); the server bound only
	// stops a message that crashes its process every time from looping.
	MaxDeliver int
}

// DefaultConfig returns the settings for a single server.
//
// Retention is LimitsPolicy everywhere so any stage can replay history
// (WorkQueue and Interest delete on ack). Seven days of work history covers a
// long weekend outage plus replay; dead letters keep 30 days for triage. The
// one-hour de-duplication window absorbs a redelivered or restarted stage's
// republished outputs; ingest also skips changes at or below the last stored
// LSN on start, which covers restarts longer than the window.
func DefaultConfig() Config {
	return Config{
		Replicas:   1,
		Partitions: 16,
		WorkMaxAge: 7 * 24 * time.Hour,
		DLQMaxAge:  30 * 24 * time.Hour,
		Duplicates: time.Hour,
		AckWait:    30 * time.Second,
		MaxDeliver: 50,
	}
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.Replicas < 1 || c.Replicas > 5 {
		errs = append(errs, fmt.Errorf("streams: replicas %d: want 1 to 5", c.Replicas))
	}
	if c.Partitions < 1 || c.Partitions > 1024 {
		errs = append(errs, fmt.Errorf("streams: partitions %d: want 1 to 1024", c.Partitions))
	}
	if c.WorkMaxAge <= 0 || c.DLQMaxAge <= 0 {
		errs = append(errs, errors.New("streams: max ages must be positive"))
	}
	if c.Duplicates <= 0 || c.Duplicates > c.WorkMaxAge {
		errs = append(errs, fmt.Errorf("streams: duplicates window %s: want >0 and <= work max age", c.Duplicates))
	}
	if c.AckWait < time.Second {
		errs = append(errs, fmt.Errorf("streams: ack wait %s: want at least 1s", c.AckWait))
	}
	if c.MaxDeliver < 2 {
		errs = append(errs, fmt.Errorf("streams: max deliver %d: want at least 2", c.MaxDeliver))
	}
	return errors.Join(errs...)
}
