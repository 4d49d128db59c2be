package normalize

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/v1change"
)

// racingKV is the real bucket with one concurrent writer slipped in between
// the stage's read and its CAS write.
type racingKV struct {
	jetstream.KeyValue
	once sync.Once
	race func()
}

func (r *racingKV) Update(ctx context.Context, key string, value []byte, rev uint64) (uint64, error) {
	r.once.Do(r.race)
	return r.KeyValue.Update(ctx, key, value, rev)
}

func (r *racingKV) Create(ctx context.Context, key string, value []byte, opts ...jetstream.KVCreateOpt) (uint64, error) {
	r.once.Do(r.race)
	return r.KeyValue.Create(ctx, key, value, opts...)
}

func TestCASConflictIsRetried(t *testing.T) {
	f := newFixture(t)
	f.mustHandle(project(v1change.Insert, "2025-01-06T10:00:00"))
	// Between read and write, another writer deletes the row.
	other := f.newStage(f.kv)
	race := &racingKV{KeyValue: f.kv, race: func() {
		data := mustEncode(t, project(v1change.Delete, "x"))
		if _, err := other.Handle(context.Background(), &pipeline.Message{Data: data}); err != nil {
			t.Error(err)
		}
	}}
	f.stage = f.newStage(race)
	f.mustHandle(project(v1change.Update, "2025-01-06T11:00:00", "name", "lost race"))
	row := f.get(projectKey)
	if !softDeleted(row) || row["name"] != "Open Orbit" {
		t.Errorf("conflict not re-applied against the new state: %v", row)
	}
	if f.stage.Counts()[string(casConflict)] != 1 || f.stage.Counts()[string(skipDeleted)] != 1 {
		t.Errorf("counts = %v", f.stage.Counts())
	}
}

func TestCASConflictsExhaustedAreTransient(t *testing.T) {
	f := newFixture(t)
	f.mustHandle(project(v1change.Insert, "2025-01-06T10:00:00"))
	bump := &alwaysRacingKV{KeyValue: f.kv}
	f.stage = f.newStage(bump)
	err := f.handle(project(v1change.Update, "2025-01-06T11:00:00"))
	if err == nil || pipeline.IsPermanent(err) {
		t.Fatalf("want a transient error, got %v", err)
	}
	var ke *pipeline.KeyError
	if !errors.As(err, &ke) || ke.Key != projectKey {
		t.Errorf("error must carry the key: %v", err)
	}
}

// alwaysRacingKV makes every CAS write lose against a concurrent writer
// that stores an older version, so the change stays applicable.
type alwaysRacingKV struct{ jetstream.KeyValue }

func (r *alwaysRacingKV) Update(ctx context.Context, key string, value []byte, rev uint64) (uint64, error) {
	if _, err := r.KeyValue.Put(ctx, key, []byte(`{"systemmodstamp":"2000-01-01T00:00:00"}`)); err != nil {
		return 0, err
	}
	return r.KeyValue.Update(ctx, key, value, rev)
}
