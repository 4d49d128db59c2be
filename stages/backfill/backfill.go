// Package backfill re-reads v1 tables into V1_CHANGES as READ events (the
// job the Meltano tap/loader pair did). Normalize applies them under the
// loader's race rules, so a backfill may run while live changes flow.
// Runs are chunked by primary key, checkpointed per chunk in v1sync-state,
// and resumed after a crash from the last finished chunk.
package backfill

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/v1change"
	"github.com/linuxfoundation/v1sync/streams"
)

// Backfill is one backfill run over the configured tables.
type Backfill struct {
	cfg      Config
	pool     *pgxpool.Pool
	js       jetstream.JetStream
	progress Progress
	log      zerolog.Logger
	now      func() time.Time
}

// Option changes a Backfill.
type Option func(*Backfill)

// WithProgress reports progress to p (default: none).
func WithProgress(p Progress) Option { return func(b *Backfill) { b.progress = p } }

// WithLogger logs to l (default: nothing).
func WithLogger(l zerolog.Logger) Option { return func(b *Backfill) { b.log = l } }

// New prepares a backfill reading from pool and publishing over nc.
func New(cfg Config, pool *pgxpool.Pool, nc *nats.Conn, opts ...Option) (*Backfill, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// Room for two chunks of unacknowledged publishes, so a chunk never
	// stalls on the client's pending limit.
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(2*cfg.ChunkSize))
	if err != nil {
		return nil, err
	}
	b := &Backfill{cfg: cfg, pool: pool, js: js, progress: NoProgress{}, log: zerolog.Nop(), now: time.Now}
	for _, o := range opts {
		o(b)
	}
	return b, nil
}

// Result summarises a run.
type Result struct {
	Run     string
	Resumed bool
	DryRun  bool
	Tables  []TableResult
}

// TableResult is what a run did with one table. Read counts rows read by
// this process; a resumed run does not re-read finished chunks.
type TableResult struct {
	Table     string
	Since     *time.Time
	Read      int64
	Published int64
	// NoKey counts rows without a key column value (not yet in Salesforce).
	NoKey int64
}

// Run reads every configured table.
func (b *Backfill) Run(ctx context.Context) (Result, error) {
	conn, err := b.pool.Acquire(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("backfill: connect to v1 database: %w", err)
	}
	defer conn.Release()
	// Timestamps are compared and decoded in UTC, as Heroku Connect stores
	// them; the pooled connection gets its own zone back afterwards.
	if _, err := conn.Exec(ctx, "SET TIME ZONE 'UTC'"); err != nil {
		return Result{}, fmt.Errorf("backfill: set time zone: %w", err)
	}
	defer func() { _, _ = conn.Exec(context.WithoutCancel(ctx), "RESET TIME ZONE") }()
	kv, err := b.js.KeyValue(ctx, streams.BucketState)
	if err != nil {
		return Result{}, fmt.Errorf("backfill: open %s: %w", streams.BucketState, err)
	}
	st := state{kv: kv}
	if b.cfg.DryRun {
		return b.dryRun(ctx, &session{b: b, st: st, conn: conn.Conn()})
	}
	cp, resumed, err := st.open(ctx, b.cfg, b.now())
	if err != nil {
		return Result{}, err
	}
	b.log.Info().Str("run", cp.Run).Bool("resumed", resumed).Str(pipeline.FieldMode, cp.Mode).Msg("backfill: run started")
	s := &session{b: b, st: st, conn: conn.Conn(), cp: cp}
	res := Result{Run: cp.Run, Resumed: resumed}
	for _, t := range b.cfg.Tables {
		tr, err := s.table(ctx, t)
		res.Tables = append(res.Tables, tr)
		if err != nil {
			return res, err
		}
	}
	if err := st.finish(ctx, cp, b.now()); err != nil {
		return res, err
	}
	b.log.Info().Str("run", cp.Run).Msg("backfill: run finished")
	return res, nil
}

// since is a table's lower bound for this run: nil reads every row.
func (b *Backfill) since(ctx context.Context, st state, t v1change.Table) (*time.Time, error) {
	switch {
	case b.cfg.Full || len(t.TimestampColumns) == 0:
		return nil, nil
	case !b.cfg.Since.IsZero():
		s := b.cfg.Since.UTC()
		return &s, nil
	}
	mark, ok, err := st.bookmark(ctx, t)
	if err != nil || !ok {
		return nil, err
	}
	s := mark.Add(-b.cfg.BookmarkOverlap)
	return &s, nil
}

func (b *Backfill) dryRun(ctx context.Context, s *session) (Result, error) {
	res := Result{DryRun: true}
	for _, t := range b.cfg.Tables {
		since, err := b.since(ctx, s.st, t)
		if err != nil {
			return res, err
		}
		r, err := newTableReader(ctx, s.conn, t)
		if err != nil {
			return res, err
		}
		n, err := r.count(ctx, "", since)
		if err != nil {
			return res, fmt.Errorf("backfill: count %s: %w", t.QualifiedName(), err)
		}
		res.Tables = append(res.Tables, TableResult{Table: t.QualifiedName(), Since: since, Read: n})
	}
	return res, nil
}
