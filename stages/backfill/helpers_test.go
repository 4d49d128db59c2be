package backfill_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/backfill"
	"github.com/linuxfoundation/v1sync/stages/normalize"
	"github.com/linuxfoundation/v1sync/stages/v1change"
	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
	"github.com/linuxfoundation/v1sync/test/pgtest"
)

type world struct {
	t    *testing.T
	nats *natstest.Env
	pg   *pgtest.DB
}

func newWorld(t *testing.T, opts ...pgtest.Option) *world {
	t.Helper()
	pg := pgtest.Start(t, opts...)
	env := natstest.Start(t)
	env.Provision(t, streams.Config{})
	return &world{t: t, nats: env, pg: pg}
}

// startNormalize runs the normalize stage through the real runner.
func (w *world) startNormalize() {
	t := w.t
	stage, err := normalize.New(normalize.DefaultConfig(), w.nats.KV(t, streams.BucketObjects))
	if err != nil {
		t.Fatal(err)
	}
	r, err := pipeline.NewRunner(pipeline.DefaultConfig(), stage, w.nats.JS)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cons, err := w.nats.JS.Consumer(ctx, streams.V1Changes, streams.StageNormalize)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, cons) }()
	t.Cleanup(func() { cancel(); <-done })
}

// waitNormalized waits until normalize has acked every stored change.
func (w *world) waitNormalized() {
	ctx := context.Background()
	natstest.Eventually(w.t, 90*time.Second, "normalize to ack every change", func() bool {
		s, err := w.nats.JS.Stream(ctx, streams.V1Changes)
		if err != nil {
			return false
		}
		c, err := s.Consumer(ctx, streams.StageNormalize)
		if err != nil {
			return false
		}
		ci := c.CachedInfo()
		return ci.NumPending == 0 && ci.NumAckPending == 0 && ci.AckFloor.Stream >= s.CachedInfo().State.LastSeq
	})
}

func (w *world) backfill(cfg backfill.Config, opts ...backfill.Option) backfill.Result {
	w.t.Helper()
	b, err := backfill.New(cfg, w.pg.Pool, w.nats.NC, opts...)
	if err != nil {
		w.t.Fatal(err)
	}
	res, err := b.Run(context.Background())
	if err != nil {
		w.t.Fatalf("backfill: %v", err)
	}
	return res
}

func (w *world) changesStored() uint64 {
	s, err := w.nats.JS.Stream(context.Background(), streams.V1Changes)
	if err != nil {
		w.t.Fatal(err)
	}
	return s.CachedInfo().State.Msgs
}

// assertObjectsEqualDatabase checks that v1-objects holds exactly the
// database's rows of t (compared through PostgreSQL's own JSON rendering),
// and that every key in deleted is soft-deleted.
func (w *world) assertObjectsEqualDatabase(t v1change.Table, deleted map[string]bool) {
	w.t.Helper()
	ctx := context.Background()
	kv := w.nats.KV(w.t, streams.BucketObjects)
	rows, err := w.pg.Pool.Query(ctx, fmt.Sprintf("SELECT row_to_json(x)::text FROM %s.%s x WHERE %s IS NOT NULL", t.Schema, t.Name, t.KeyColumn))
	if err != nil {
		w.t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var text string
		if err := rows.Scan(&text); err != nil {
			w.t.Fatal(err)
		}
		var want map[string]any
		_ = json.Unmarshal([]byte(text), &want)
		key := v1change.ObjectKey(t.Schema, t.Name, fmt.Sprint(want[t.KeyColumn]))
		got := getRow(w.t, kv, key)
		if got == nil {
			w.t.Errorf("%s missing from v1-objects", key)
			continue
		}
		if d, ok := got["_sdc_deleted_at"]; ok && d != nil {
			w.t.Errorf("%s is live in the database but soft-deleted in v1-objects", key)
		}
		for col, v := range want {
			if !sameValue(v, got[col]) {
				w.t.Errorf("%s column %s: v1-objects %v, database %v", key, col, got[col], v)
			}
		}
		n++
	}
	if err := rows.Err(); err != nil {
		w.t.Fatal(err)
	}
	for key := range deleted {
		got := getRow(w.t, kv, key)
		if d, ok := got["_sdc_deleted_at"]; !ok || d == nil || d == "" {
			w.t.Errorf("%s was deleted in the database but is live in v1-objects: %v", key, got)
		}
	}
	w.t.Logf("%s: %d live rows and %d deletes match", t.QualifiedName(), n, len(deleted))
}

func getRow(t *testing.T, kv jetstream.KeyValue, key string) map[string]any {
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

// sameValue compares a database JSON value with a stored one: timestamps as
// instants (PostgreSQL renders them zone-less), everything else as text.
func sameValue(db, stored any) bool {
	if db == nil || stored == nil {
		return db == nil && stored == nil
	}
	a, okA := db.(string)
	b, okB := stored.(string)
	if okA && okB {
		ta, errA := time.Parse("2006-01-02T15:04:05.999999999", a)
		tb, errB := time.Parse(time.RFC3339Nano, b)
		if errA == nil && errB == nil {
			return ta.Equal(tb)
		}
	}
	return fmt.Sprint(db) == fmt.Sprint(stored)
}
