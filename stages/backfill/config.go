package backfill

import (
	"errors"
	"fmt"
	"time"

	"github.com/linuxfoundation/v1sync/stages/v1change"
	"github.com/linuxfoundation/v1sync/streams"
)

// Config is one backfill's settings.
type Config struct {
	// Tables are read in order.
	Tables []v1change.Table
	// Full reads every row. Otherwise rows changed since Since are read, or
	// since each table's bookmark (minus BookmarkOverlap) when Since is zero;
	// a table without a bookmark is read in full.
	Full  bool
	Since time.Time
	// DryRun counts the rows a run would read and publishes nothing.
	DryRun bool
	// ChunkSize is the rows per keyset page; a chunk is the unit of
	// checkpointing, so a crash re-reads at most one chunk per table.
	ChunkSize int
	// Partitions must equal the V1_CHANGES partition count (streams.Config).
	Partitions int
	// BookmarkOverlap re-reads a margin before the bookmark: Heroku Connect
	// writes rows some time after their Salesforce timestamp, and rows that
	// changed behind the cursor of the previous run carry older timestamps
	// than its maximum. Re-read rows are skipped by normalize as not newer.
	BookmarkOverlap time.Duration
	// PublishAttempts bounds the re-publishes of a chunk whose PubAcks failed.
	PublishAttempts int
}

// DefaultConfig reads the default table set incrementally.
func DefaultConfig() Config {
	return Config{
		Tables:          v1change.DefaultTables(),
		ChunkSize:       2000,
		Partitions:      streams.DefaultConfig().Partitions,
		BookmarkOverlap: time.Hour,
		PublishAttempts: 3,
	}
}

// Validate reports every setting that cannot work.
func (c Config) Validate() error {
	var errs []error
	if len(c.Tables) == 0 {
		errs = append(errs, errors.New("backfill: no tables"))
	}
	for _, t := range c.Tables {
		if t.Schema == "" || t.Name == "" || t.KeyColumn == "" || t.PrimaryKey == "" {
			errs = append(errs, fmt.Errorf("backfill: table %q: schema, name, key column and primary key are required", t.QualifiedName()))
		}
	}
	if c.Full && !c.Since.IsZero() {
		errs = append(errs, errors.New("backfill: full and since exclude each other"))
	}
	if c.ChunkSize < 1 || c.ChunkSize > 100_000 {
		errs = append(errs, fmt.Errorf("backfill: chunk size %d: want 1 to 100000", c.ChunkSize))
	}
	if c.Partitions < 1 {
		errs = append(errs, fmt.Errorf("backfill: partitions %d: want at least 1", c.Partitions))
	}
	if c.BookmarkOverlap < 0 {
		errs = append(errs, errors.New("backfill: bookmark overlap must not be negative"))
	}
	if c.PublishAttempts < 1 {
		errs = append(errs, fmt.Errorf("backfill: publish attempts %d: want at least 1", c.PublishAttempts))
	}
	return errors.Join(errs...)
}

// mode names what a run reads, for its checkpoint: a resumed run must read
// what the crashed one did.
func (c Config) mode() string {
	switch {
	case c.Full:
		return "full"
	case !c.Since.IsZero():
		return "since " + c.Since.UTC().Format(time.RFC3339Nano)
	default:
		return "incremental"
	}
}
