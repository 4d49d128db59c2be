package mapids

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/idmap"
	"github.com/linuxfoundation/v1sync/stages/intent"
	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
)

// TestThroughTheRunner runs the stage on its durable consumer with the real
// runner: a committee that arrives before its project waits in place and
// lands once the project is mapped; a tombstoned parent and a loop-guarded
// row never produce an intent.
func TestThroughTheRunner(t *testing.T) {
	h := newHarness(t, Deps{})
	cfg := DefaultConfig()
	cfg.ParentRetryBase, cfg.ParentRetryMax = 20*time.Millisecond, 100*time.Millisecond
	cfg.ParentMaxDeliveries = 1000
	h.stage = h.newStage(cfg, Deps{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	rcfg := pipeline.DefaultConfig()
	rcfg.MaxDeliveries = 1000
	runner, err := pipeline.NewRunner(rcfg, h.stage, h.env.JS)
	if err != nil {
		t.Fatal(err)
	}
	cons, err := h.env.JS.Consumer(ctx, streams.KVStream(streams.BucketObjects), streams.StageMap)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- runner.Run(ctx, cons) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})

	h.mapKey(idmap.ProjectSFIDKey("a092W0000LLWINJQQ5"), idmap.Tombstone)
	h.putSample(prefixCommittee, "a0D7k00007i95ubEAA") // project not mapped yet
	h.putSample(prefixCommittee, "a0D7k0000rdsREbEAM") // project tombstoned
	h.putSample(prefixCommittee, "a0D7k0000gJDrbQEAT") // written by v1sync
	natstest.Eventually(t, 10*time.Second, "the committee to wait for its project", func() bool {
		return h.stage.Stats().Snapshot().ParentWaits >= 3
	})
	h.mapKey(idmap.ProjectSFIDKey("a092W0000h8PYh6QAG"), "p-open-orbit")

	key := prefixCommittee + ".a0D7k00007i95ubEAA"
	intents, err := h.env.JS.Stream(ctx, streams.V2Intents)
	if err != nil {
		t.Fatal(err)
	}
	var got *jetstream.RawStreamMsg
	natstest.Eventually(t, 10*time.Second, "the committee intent", func() bool {
		got, err = intents.GetLastMsgForSubject(ctx, streams.V2IntentSubject(string(intent.Committee), key, 4))
		return err == nil
	})
	it, err := intent.Unmarshal(got.Data)
	if err != nil {
		t.Fatal(err)
	}
	expect(t, it, map[string]any{"key": key, "project_uid": "p-open-orbit"})
	if got.Header.Get(streams.HeaderKey) != key {
		t.Errorf("intent header %s = %q", streams.HeaderKey, got.Header.Get(streams.HeaderKey))
	}

	dlq, err := h.env.JS.Stream(ctx, streams.DLQ)
	if err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, 10*time.Second, "the tombstoned-parent committee in the DLQ", func() bool {
		m, err := dlq.GetLastMsgForSubject(ctx, streams.DLQSubject(streams.StageMap,
			streams.KVSubject(streams.BucketObjects, prefixCommittee+".a0D7k0000rdsREbEAM")))
		return err == nil && m.Header.Get(streams.HeaderDLQReason) == string(ReasonParentDeleted)
	})
	natstest.Eventually(t, 10*time.Second, "every input acked", func() bool {
		info, err := cons.Info(ctx)
		return err == nil && info.NumAckPending == 0 && info.NumPending == 0
	})
	if n, _ := intents.Info(ctx); n.State.Msgs != 1 {
		t.Errorf("V2_INTENTS holds %d messages, want only the committee's", n.State.Msgs)
	}
	if s := h.stage.Stats().Snapshot(); s.LoopGuarded != 1 || s.Intents != 1 {
		t.Errorf("stats %+v", s)
	}
}
