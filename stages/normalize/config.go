package normalize

import (
	"errors"
	"fmt"

	"github.com/linuxfoundation/v1sync/pipeline"

	"github.com/linuxfoundation/v1sync/stages/v1change"
)

// Config is the normalize stage's configuration.
type Config struct {
	// Tables is the captured table set; a change to any other table is
	// dead-lettered as "unknown-table".
	Tables []v1change.Table
	// MaxCASAttempts bounds the read-decide-write loop on one key. Under
	// per-key serialization a conflict means another writer (a second
	// normalize pod during a rebalance, an operator) touched the key, so a
	// few attempts suffice; after that the runner retries with backoff.
	MaxCASAttempts int
	// LastWritesBytes bounds the values remembered as each key's last
	// write (lastWrites), which spare the read before the next write of a
	// busy key. Zero turns it off.
	LastWritesBytes int
}

// DefaultConfig captures the prior art's table set.
func DefaultConfig() Config {
	return Config{Tables: v1change.DefaultTables(), MaxCASAttempts: 5, LastWritesBytes: 16 << 20}
}

// Validate reports every setting that cannot work.
func (c Config) Validate() error {
	var errs []error
	if len(c.Tables) == 0 {
		errs = append(errs, errors.New("normalize: no tables configured"))
	}
	seen := map[string]bool{}
	for _, t := range c.Tables {
		if err := validateTable(t); err != nil {
			errs = append(errs, err)
		}
		if seen[t.QualifiedName()] {
			errs = append(errs, fmt.Errorf("normalize: table %s configured twice", t.QualifiedName()))
		}
		seen[t.QualifiedName()] = true
	}
	if c.MaxCASAttempts < 1 || c.MaxCASAttempts > 100 {
		errs = append(errs, fmt.Errorf("normalize: max CAS attempts %d: want 1 to 100", c.MaxCASAttempts))
	}
	if c.LastWritesBytes < 0 {
		errs = append(errs, fmt.Errorf("normalize: last writes bytes %d: want 0 or more", c.LastWritesBytes))
	}
	return errors.Join(errs...)
}

func validateTable(t v1change.Table) error {
	if t.Schema == "" || t.Name == "" || t.KeyColumn == "" {
		return fmt.Errorf("normalize: table %q: schema, name and key column are required", t.QualifiedName())
	}
	return nil
}

// RunnerConfig is the runner's default tuned for this stage. A change costs
// two KV round trips (read, CAS write) and almost no CPU, so throughput is
// the number of changes in flight divided by the round-trip time: more
// workers and a prefetch to feed them. Keys are still handled one change at
// a time, and MaxHeld plus the prefetch stays under the consumer's
// MaxAckPending.
func RunnerConfig() pipeline.Config {
	c := pipeline.DefaultConfig()
	c.Workers = 64
	c.PullMaxMessages = 128
	c.MaxHeld = 512
	return c
}
