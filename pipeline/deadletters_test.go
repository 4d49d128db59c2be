package pipeline_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
)

// A message dead-lettered for a cause that is later fixed goes back to its
// stage with its body and headers, is handled once, and leaves the DLQ.
func TestRedriveReturnsAStreamMessageToItsStage(t *testing.T) {
	env := setup(t, true)
	var broken atomic.Bool
	broken.Store(true)
	st := stageFunc{name: "fixer", fn: func(ctx context.Context, in *pipeline.Message) ([]*pipeline.Message, error) {
		if broken.Load() && in.Subject == "in.bad" {
			return nil, pipeline.Permanent(pipeline.WithReason(errors.New("no parent"), "parent-unmapped"))
		}
		return passThrough(ctx, in)
	}}
	start(t, env, testConfig(), st)
	publish(t, env.JS, "in.bad", "k1", []byte("body"), nats.Header{"X-Custom": {"kept"}})
	publish(t, env.JS, "in.good", "k2", []byte("fine"), nil)
	natstest.Eventually(t, 10*time.Second, "one dead letter, one output", func() bool {
		return env.Msgs(t, streams.DLQ) == 1 && env.Msgs(t, outStream) == 1
	})

	ctx := context.Background()
	if got := readDeadLetters(t, env.JS, pipeline.DeadLetterFilter{Reason: "malformed"}); len(got) != 0 {
		t.Fatalf("reason filter: got %d dead letters, want none", len(got))
	}
	got := readDeadLetters(t, env.JS, pipeline.DeadLetterFilter{Stage: "fixer"})
	if len(got) != 1 {
		t.Fatalf("got %d dead letters, want 1", len(got))
	}
	d := got[0]
	if d.Stage != "fixer" || d.Reason != "parent-unmapped" || d.Subject != "in.bad" || d.Stream != inStream ||
		d.Key != "k1" || d.OrigSeq != 1 || string(d.Data) != "body" || d.Header.Get("X-Custom") != "kept" {
		t.Fatalf("dead letter = %+v", d)
	}

	broken.Store(false)
	outcome, err := pipeline.Redrive(ctx, env.JS, d)
	if err != nil || outcome != pipeline.Redriven {
		t.Fatalf("redrive: %v, %v", outcome, err)
	}
	if err := pipeline.ForgetDeadLetter(ctx, env.JS, d.Seq); err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, 10*time.Second, "redriven message handled", func() bool {
		return env.Msgs(t, outStream) == 2 && settledAll(t, env.JS)
	})
	out := storedMsgs(t, env.JS, outStream)[1]
	if out.Subject != "out.in.bad" || out.Header.Get("X-Custom") != "kept" || out.Header.Get(streams.HeaderDLQStage) != "" ||
		out.Header.Get(streams.HeaderRedrivenFrom) == "" {
		t.Errorf("redriven output: %s %v", out.Subject, out.Header)
	}
	if n := env.Msgs(t, streams.DLQ); n != 0 {
		t.Errorf("DLQ holds %d after the redrive", n)
	}
	// Redriving the same dead letter again within the duplicate window is a
	// no-op: the redrive id deduplicates it.
	if _, err := pipeline.Redrive(ctx, env.JS, d); err != nil {
		t.Fatal(err)
	}
	if n := env.Msgs(t, inStream); n != 3 {
		t.Errorf("IN holds %d messages after a repeated redrive, want 3", n)
	}
}

// A dead letter from a KV bucket replays the key's current state, never the
// older value it carried.
func TestRedriveOfAKVMessageReplaysTheKeysLatestState(t *testing.T) {
	env := natstest.Start(t)
	env.Provision(t, streams.Config{})
	ctx := context.Background()
	kv, err := env.JS.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "objs", History: 5})
	if err != nil {
		t.Fatal(err)
	}
	put := func(k, v string) {
		if _, err := kv.Put(ctx, k, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	put("live", "old")
	put("live", "new")
	put("gone", "was")
	if err := kv.Delete(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	letter := func(key string) *pipeline.DeadLetter {
		return &pipeline.DeadLetter{Seq: 1, Stage: "map", Subject: streams.KVSubject("objs", key),
			Stream: streams.KVStream("objs"), Data: []byte("old")}
	}

	if o, err := pipeline.Redrive(ctx, env.JS, letter("live")); err != nil || o != pipeline.Redriven {
		t.Fatalf("live key: %v, %v", o, err)
	}
	e, err := kv.Get(ctx, "live")
	if err != nil || string(e.Value()) != "new" || e.Revision() != 5 {
		t.Errorf("live key after redrive: %v, %v; want the latest value at a new revision", e, err)
	}

	if o, err := pipeline.Redrive(ctx, env.JS, letter("gone")); err != nil || o != pipeline.Redriven {
		t.Fatalf("deleted key: %v, %v", o, err)
	}
	if _, err := kv.Get(ctx, "gone"); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Errorf("deleted key after redrive: %v; want it still deleted", err)
	}
	hist, err := kv.History(ctx, "gone")
	if err != nil || len(hist) != 3 || hist[2].Operation() != jetstream.KeyValueDelete {
		t.Errorf("deleted key history: %d entries, %v; want a second delete marker", len(hist), err)
	}

	if o, err := pipeline.Redrive(ctx, env.JS, letter("never")); err != nil || o != pipeline.Superseded {
		t.Errorf("key without history: %v, %v; want superseded", o, err)
	}
}

func readDeadLetters(t *testing.T, js jetstream.JetStream, f pipeline.DeadLetterFilter) []*pipeline.DeadLetter {
	t.Helper()
	var out []*pipeline.DeadLetter
	if err := pipeline.ReadDeadLetters(context.Background(), js, f, func(d *pipeline.DeadLetter) error {
		out = append(out, d)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}
