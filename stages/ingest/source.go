package ingest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/metric"

	"github.com/linuxfoundation/v1sync/streams"
)

// ErrSlotLost means the replication slot is missing or invalidated after
// changes were already captured through it: changes in the gap are gone from
// the WAL, so ingest does not recreate the slot by itself (see slotLostAdvice).
var ErrSlotLost = errors.New("replication slot lost")

// slotLostAdvice says what an operator does: recreate the slot first, then
// backfill, so that no change falls between the two.
func slotLostAdvice(slot string) string {
	return fmt.Sprintf("changes may have been lost: recreate the slot with SELECT pg_create_logical_replication_slot('%s', 'pgoutput'); then run `v1sync backfill` for the captured tables; ingest resumes on the new slot", slot)
}

// Log fields of the capture that pipeline/logfields.go does not name.
const (
	fieldSlot          = "slot"
	fieldPublication   = "publication"
	fieldLastStoredLSN = "last_stored_lsn"
	fieldPrimaryKey    = "primary_key"
)

// errDSN replaces the parser's error, which may quote the DSN.
var errDSN = errors.New("ingest: the database DSN does not parse (not shown: it may hold a password)")

// Source is the native PostgreSQL capture.
type Source struct {
	cfg     Config
	pool    *pgxpool.Config // parsed once: errors never echo the DSN
	repl    *pgconn.Config
	js      jetstream.JetStream
	log     zerolog.Logger
	metrics *metrics

	mu     sync.Mutex
	ready  bool
	status string
}

// Option configures a Source.
type Option func(*Source) error

// WithLogger sets the logger (default: disabled).
func WithLogger(l zerolog.Logger) Option { return func(s *Source) error { s.log = l; return nil } }

// WithMeterProvider sets where metrics go (default: the global provider).
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(s *Source) (err error) { s.metrics, err = newMetrics(mp); return err }
}

// New validates cfg and prepares a Source; Run starts it.
func New(cfg Config, js jetstream.JetStream, opts ...Option) (*Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Source{cfg: cfg, js: js, log: zerolog.Nop(), status: "starting"}
	var err error
	if s.pool, err = pgxpool.ParseConfig(cfg.DSN); err != nil {
		return nil, errDSN
	}
	if s.repl, err = pgconn.ParseConfig(cfg.DSN); err != nil {
		return nil, errDSN
	}
	s.repl.RuntimeParams["replication"] = "database"
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	if s.metrics == nil {
		m, err := newMetrics(nil)
		if err != nil {
			return nil, err
		}
		s.metrics = m
	}
	s.log = s.log.With().Str(fieldSlot, cfg.Slot).Logger()
	return s, nil
}

// Ready returns nil while changes stream, and otherwise why not (a lost
// slot says to run a backfill).
func (s *Source) Ready() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ready {
		return nil
	}
	return errors.New("ingest: " + s.status)
}

func (s *Source) setStatus(ready bool, status string) {
	s.mu.Lock()
	s.ready, s.status = ready, status
	s.mu.Unlock()
}

// Confirmed is the LSN last confirmed to PostgreSQL by this process.
func (s *Source) Confirmed() string { return lsnString(s.metrics.confirmed.Load()) }

// Run captures changes until ctx ends, reconnecting with backoff after any
// failure. A lost slot keeps it unready (and retrying slowly) until an
// operator acts; it never recreates the slot over a gap.
func (s *Source) Run(ctx context.Context) error {
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval, bo.MaxInterval, bo.MaxElapsedTime = s.cfg.ReconnectMin, s.cfg.ReconnectMax, 0
	for {
		started := time.Now()
		err := s.runSession(ctx)
		if ctx.Err() != nil {
			s.setStatus(false, "stopped")
			return nil
		}
		wait := bo.NextBackOff()
		if time.Since(started) > time.Minute {
			bo.Reset()
			wait = bo.NextBackOff()
		}
		if errors.Is(err, ErrSlotLost) {
			s.metrics.slotMissing.Store(1)
			s.log.Error().Err(err).Msg("replication slot lost: ingest stays unready until a backfill has run and the slot is recreated")
			wait = s.cfg.ReconnectMax
		} else {
			s.log.Warn().Err(err).Dur("retry_in", wait).Msg("replication session ended; reconnecting")
		}
		s.setStatus(false, err.Error())
		select {
		case <-ctx.Done():
			s.setStatus(false, "stopped")
			return nil
		case <-time.After(wait):
		}
	}
}

// runSession prepares the database and streams until an error.
func (s *Source) runSession(ctx context.Context) error {
	pool, err := pgxpool.NewWithConfig(ctx, s.pool.Copy())
	if err != nil {
		return fmt.Errorf("ingest: database: %w", err)
	}
	defer pool.Close()
	state, err := s.js.KeyValue(ctx, streams.BucketState)
	if err != nil {
		return fmt.Errorf("ingest: bucket %s: %w", streams.BucketState, err)
	}
	db := &database{pool: pool, cfg: s.cfg, log: s.log}
	prep, err := s.prepare(ctx, db, state)
	if err != nil {
		return err
	}
	s.metrics.slotMissing.Store(0)
	sess, err := s.newSession(ctx, prep, state)
	if err != nil {
		return err
	}
	defer sess.close()
	sessCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go s.background(sessCtx, db)
	s.setStatus(true, "streaming")
	return sess.stream(sessCtx)
}

// background emits heartbeats and measures slot lag while a session runs.
func (s *Source) background(ctx context.Context, db *database) {
	lag := time.NewTicker(s.cfg.LagInterval)
	defer lag.Stop()
	var beat <-chan time.Time
	if s.cfg.HeartbeatInterval > 0 {
		t := time.NewTicker(s.cfg.HeartbeatInterval)
		defer t.Stop()
		beat = t.C
	}
	s.measureLag(ctx, db)
	for {
		select {
		case <-ctx.Done():
			return
		case <-beat:
			if err := db.heartbeat(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn().Err(err).Msg("heartbeat failed")
			}
		case <-lag.C:
			s.measureLag(ctx, db)
		}
	}
}

func (s *Source) measureLag(ctx context.Context, db *database) {
	n, err := db.slotLag(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn().Err(err).Msg("slot lag unknown")
		}
		return
	}
	s.metrics.slotLag.Store(n)
}
