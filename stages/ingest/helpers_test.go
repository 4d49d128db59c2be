package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/normalize"
	"github.com/linuxfoundation/v1sync/stages/v1change"
	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/streams/embedded"
	"github.com/linuxfoundation/v1sync/test/natstest"
	"github.com/linuxfoundation/v1sync/test/pgtest"
)

// rig is a database, a JetStream server with the topology, and a config
// pointing ingest at both.
type rig struct {
	t   testing.TB
	db  *pgtest.DB
	env *natstest.Env
	cfg Config
}

func newRig(t testing.TB, opts ...pgtest.Option) *rig {
	return newRigSync(t, time.Second, opts...)
}

// newRigSync sets the JetStream server's sync interval (0: sync always).
func newRigSync(t testing.TB, syncInterval time.Duration, opts ...pgtest.Option) *rig {
	t.Helper()
	db := pgtest.Start(t, opts...)
	ncfg := embedded.DefaultConfig(t.TempDir())
	ncfg.Port = -1
	ncfg.SyncInterval, ncfg.SyncAlways = syncInterval, syncInterval == 0
	env := natstest.StartWith(t, ncfg)
	env.Provision(t, streams.Config{})
	cfg := testConfig(db.DSN)
	cfg.Durability = ncfg.Durability()
	return &rig{t: t, db: db, env: env, cfg: cfg}
}

// testConfig shortens every interval so tests see effects quickly.
func testConfig(dsn string) Config {
	cfg := DefaultConfig()
	cfg.DSN = dsn
	cfg.DurabilityMargin = 100 * time.Millisecond
	cfg.StatusInterval = 100 * time.Millisecond
	cfg.LagInterval = 200 * time.Millisecond
	cfg.HeartbeatInterval = time.Second
	cfg.ReconnectMin, cfg.ReconnectMax = 50*time.Millisecond, 500*time.Millisecond
	return cfg
}

// start runs a Source until the test ends and waits until it streams.
func (r *rig) start() *Source {
	r.t.Helper()
	src, err := New(r.cfg, r.env.JS, WithLogger(zerolog.New(zerolog.NewTestWriter(r.t)).Level(zerolog.InfoLevel)))
	if err != nil {
		r.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = src.Run(ctx) }()
	r.t.Cleanup(func() { cancel(); <-done })
	natstest.Eventually(r.t, 30*time.Second, "ingest streaming", func() bool { return src.Ready() == nil })
	return src
}

// events reads every event stored in V1_CHANGES, in stream order.
func (r *rig) events() []v1change.Event {
	r.t.Helper()
	ctx := context.Background()
	st, err := r.env.JS.Stream(ctx, streams.V1Changes)
	if err != nil {
		r.t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		r.t.Fatal(err)
	}
	var out []v1change.Event
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			r.t.Fatal(err)
		}
		ev, err := v1change.Decode(m.Data)
		if err != nil {
			r.t.Fatalf("seq %d: %v", seq, err)
		}
		out = append(out, ev)
	}
	return out
}

// waitEvents waits until V1_CHANGES holds at least n events.
func (r *rig) waitEvents(n int) []v1change.Event {
	r.t.Helper()
	natstest.Eventually(r.t, 60*time.Second, "events in V1_CHANGES", func() bool { return r.storedCount() >= uint64(n) })
	return r.events()
}

func (r *rig) storedCount() uint64 {
	st, err := r.env.JS.Stream(context.Background(), streams.V1Changes)
	if err != nil {
		r.t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	return info.State.Msgs
}

// slotConfirmed returns the slot's confirmed_flush_lsn and how far the WAL is ahead of it.
func (r *rig) slotLag() (confirmed string, lag int64) {
	r.t.Helper()
	err := r.db.Pool.QueryRow(context.Background(),
		`SELECT confirmed_flush_lsn::text, (pg_current_wal_lsn() - confirmed_flush_lsn)::bigint FROM pg_replication_slots WHERE slot_name = $1`,
		r.cfg.Slot).Scan(&confirmed, &lag)
	if err != nil {
		r.t.Fatal(err)
	}
	return confirmed, lag
}

// runNormalize runs the normalize stage on V1_CHANGES until the test ends, so
// tests can assert on v1-objects.
func (r *rig) runNormalize() jetstream.KeyValue {
	r.t.Helper()
	kv := r.env.KV(r.t, streams.BucketObjects)
	st, err := normalize.New(normalize.DefaultConfig(), kv)
	if err != nil {
		r.t.Fatal(err)
	}
	runner, err := pipeline.NewRunner(normalize.RunnerConfig(), st, r.env.JS)
	if err != nil {
		r.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cons, err := r.env.JS.Consumer(ctx, streams.V1Changes, streams.StageNormalize)
	if err != nil {
		r.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = runner.Run(ctx, cons) }()
	r.t.Cleanup(func() { cancel(); <-done })
	return kv
}

// object reads a v1-objects row, nil when absent.
func object(t testing.TB, kv jetstream.KeyValue, key string) map[string]any {
	t.Helper()
	e, err := kv.Get(context.Background(), key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var row map[string]any
	if err := json.Unmarshal(e.Value(), &row); err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return row
}
