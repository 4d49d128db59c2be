package normalize

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/v1change"
)

func msgOf(t *testing.T, ev v1change.Event) *pipeline.Message {
	return &pipeline.Message{Subject: "v1.changes.x", Data: mustEncode(t, ev)}
}

// readCountingKV is the real bucket, counting reads.
type readCountingKV struct {
	jetstream.KeyValue
	gets atomic.Int64
}

func (r *readCountingKV) Get(ctx context.Context, key string) (jetstream.KeyValueEntry, error) {
	r.gets.Add(1)
	return r.KeyValue.Get(ctx, key)
}

// An INSERT and the later changes of a key this stage wrote need no read:
// one round trip (the CAS write) per change.
func TestKnownKeysAreWrittenWithoutRead(t *testing.T) {
	f := newFixture(t)
	kv := &readCountingKV{KeyValue: f.kv}
	f.stage = f.newStage(kv)
	f.mustHandle(project(v1change.Insert, "2025-01-06T10:00:00"))
	f.mustHandle(project(v1change.Update, "2025-01-06T11:00:00", "name", "renamed"))
	f.mustHandle(project(v1change.Delete, "2025-01-06T12:00:00"))
	if n := kv.gets.Load(); n != 0 {
		t.Errorf("%d reads, want none", n)
	}
	row := f.get(projectKey)
	if !softDeleted(row) || row["name"] != "renamed" {
		t.Errorf("row = %v", row)
	}
}

// A key changed behind the stage's back (another pod, an operator) is
// decided on what the bucket holds: the stale write loses its CAS and the
// rules run again on a fresh read.
func TestStaleLastWriteIsDecidedOnFreshRead(t *testing.T) {
	f := newFixture(t)
	f.mustHandle(project(v1change.Insert, "2025-01-06T10:00:00"))
	other := f.newStage(f.kv)
	if _, err := other.Handle(context.Background(), msgOf(t, project(v1change.Update, "2025-01-06T12:00:00", "name", "newest"))); err != nil {
		t.Fatal(err)
	}
	f.mustHandle(project(v1change.Update, "2025-01-06T11:00:00", "name", "older"))
	if got := f.get(projectKey)["name"]; got != "newest" {
		t.Errorf("name = %v: a stale remembered state overwrote a newer row", got)
	}
	c := f.stage.Counts()
	if c[string(staleGuess)] != 1 || c[string(skipNotNewer)] != 1 {
		t.Errorf("counts = %v", c)
	}
	// The key's state was forgotten with the conflict: the next change reads once.
	kv := &readCountingKV{KeyValue: f.kv}
	f.stage.kv = kv
	f.mustHandle(project(v1change.Update, "2025-01-06T13:00:00", "name", "latest"))
	if got := f.get(projectKey)["name"]; got != "latest" || kv.gets.Load() != 1 {
		t.Errorf("name = %v after %d reads", got, kv.gets.Load())
	}
}

// An INSERT of a key that already exists (a backfill got there first, a
// replay) follows the rules against the stored row.
func TestInsertOverExistingKeyFollowsTheRules(t *testing.T) {
	f := newFixture(t)
	other := f.newStage(f.kv)
	if _, err := other.Handle(context.Background(), msgOf(t, project(v1change.Delete, "2025-01-06T12:00:00"))); err != nil {
		t.Fatal(err)
	}
	f.mustHandle(project(v1change.Insert, "2025-01-06T10:00:00", "name", "resurrected?"))
	row := f.get(projectKey)
	if !softDeleted(row) || row["name"] == "resurrected?" {
		t.Errorf("an INSERT over a deleted row resurrected it: %v", row)
	}
	if c := f.stage.Counts(); c[string(staleGuess)] != 1 || c[string(skipDeleted)] != 1 {
		t.Errorf("counts = %v", c)
	}
}

// A skip is never decided on a remembered state, only on a read.
func TestSkipIsDecidedOnFreshRead(t *testing.T) {
	f := newFixture(t)
	f.mustHandle(project(v1change.Insert, "2025-01-06T10:00:00"))
	kv := &readCountingKV{KeyValue: f.kv}
	f.stage.kv = kv
	f.mustHandle(project(v1change.Update, "2025-01-06T09:00:00", "name", "older"))
	if kv.gets.Load() != 1 || f.stage.Counts()[string(skipNotNewer)] != 1 {
		t.Errorf("%d reads, counts %v", kv.gets.Load(), f.stage.Counts())
	}
}

func TestLastWritesStayWithinBudget(t *testing.T) {
	c := newLastWrites(1000)
	value := make([]byte, 90)
	for i := range 100 {
		c.put(fmt.Sprintf("k%02d", i), lastWrite{rev: uint64(i), value: value})
	}
	total := 0
	for k, w := range c.cur {
		total += len(k) + len(w.value)
	}
	for k, w := range c.prev {
		total += len(k) + len(w.value)
	}
	if total > 1000 {
		t.Errorf("%d bytes held, budget 1000", total)
	}
	if w, ok := c.get("k99"); !ok || w.rev != 99 {
		t.Errorf("latest write forgotten: %v %v", w, ok)
	}
	if _, ok := c.get("k00"); ok {
		t.Error("oldest write still held")
	}
	c.put("big", lastWrite{value: make([]byte, 600)})
	if _, ok := c.get("big"); ok {
		t.Error("a value over half the budget must not be held")
	}
	off := newLastWrites(0)
	off.put("k", lastWrite{value: value})
	if _, ok := off.get("k"); ok {
		t.Error("a zero budget must hold nothing")
	}
}
