package ingest

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/linuxfoundation/v1sync/stages/v1change"
	"github.com/linuxfoundation/v1sync/streams"
)

// Config of the native capture.
type Config struct {
	// DSN of the v1 database (a libpq URL). It is a secret: never logged and
	// never part of an error.
	DSN string
	// Slot and Publication are created on first start when missing.
	Slot        string
	Publication string
	// Tables is the captured table set.
	Tables []v1change.Table
	// Partitions must equal the topology's V1_CHANGES partition count.
	Partitions int

	// Durability is the JetStream server's sync interval: a PubAck is on
	// disk at most this long after it arrived. Zero means sync-always
	// (durable at PubAck).
	Durability time.Duration
	// DurabilityMargin is added to a non-zero Durability to cover clock and
	// scheduling slack of the server's flusher.
	DurabilityMargin time.Duration

	// StatusInterval is how often the confirmed LSN is reported to
	// PostgreSQL (it also answers every keepalive that asks for a reply).
	StatusInterval time.Duration
	// HeartbeatInterval is how often a logical message is emitted so that an
	// idle database still moves the slot forward; zero disables it.
	HeartbeatInterval time.Duration
	// LagInterval is how often slot lag is measured for the metric.
	LagInterval time.Duration
	// ReconnectMin and ReconnectMax bound the reconnect backoff.
	ReconnectMin time.Duration
	ReconnectMax time.Duration
	// PublishStallWait bounds how long a publish waits for room among
	// outstanding async publishes.
	PublishStallWait time.Duration
}

// DefaultConfig captures the default table set into slot and publication
// "v1sync", assuming a JetStream server with its default 2-minute sync
// interval.
func DefaultConfig() Config {
	return Config{
		Slot:              "v1sync",
		Publication:       "v1sync",
		Tables:            v1change.DefaultTables(),
		Partitions:        streams.DefaultConfig().Partitions,
		Durability:        2 * time.Minute,
		DurabilityMargin:  time.Second,
		StatusInterval:    time.Second,
		HeartbeatInterval: 30 * time.Second,
		LagInterval:       10 * time.Second,
		ReconnectMin:      500 * time.Millisecond,
		ReconnectMax:      30 * time.Second,
		PublishStallWait:  30 * time.Second,
	}
}

// PostgreSQL identifiers we create: unquoted, lower-case, so that they need
// no quoting anywhere.
var identRe = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Validate reports every setting that cannot work; it never echoes the DSN.
func (c Config) Validate() error {
	var errs []error
	if c.DSN == "" {
		errs = append(errs, errors.New("ingest: DSN is required"))
	}
	if !identRe.MatchString(c.Slot) {
		errs = append(errs, fmt.Errorf("ingest: slot %q: want a lower-case identifier", c.Slot))
	}
	if !identRe.MatchString(c.Publication) {
		errs = append(errs, fmt.Errorf("ingest: publication %q: want a lower-case identifier", c.Publication))
	}
	if len(c.Tables) == 0 {
		errs = append(errs, errors.New("ingest: no tables to capture"))
	}
	for _, t := range c.Tables {
		if t.KeyColumn == "" || t.PrimaryKey == "" {
			errs = append(errs, fmt.Errorf("ingest: table %s needs a key column and a primary key", t.QualifiedName()))
		}
	}
	if c.Partitions < 1 {
		errs = append(errs, fmt.Errorf("ingest: partitions %d: want at least 1", c.Partitions))
	}
	if c.Durability < 0 || c.DurabilityMargin < 0 {
		errs = append(errs, errors.New("ingest: durability and its margin must not be negative"))
	}
	if c.StatusInterval <= 0 || c.LagInterval <= 0 || c.HeartbeatInterval < 0 {
		errs = append(errs, errors.New("ingest: status and lag intervals must be positive, heartbeat not negative"))
	}
	if c.ReconnectMin <= 0 || c.ReconnectMax < c.ReconnectMin {
		errs = append(errs, errors.New("ingest: reconnect backoff: want 0 < min <= max"))
	}
	if c.PublishStallWait <= 0 {
		errs = append(errs, errors.New("ingest: publish stall wait must be positive"))
	}
	return errors.Join(errs...)
}

// durableAfter is how long after its PubAck a change is on disk.
func (c Config) durableAfter() time.Duration {
	if c.Durability == 0 {
		return 0
	}
	return c.Durability + c.DurabilityMargin
}
