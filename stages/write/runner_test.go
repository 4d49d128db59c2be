package write

import (
	"context"
	"testing"
	"time"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/idmap"
	"github.com/linuxfoundation/v1sync/stages/intent"
	"github.com/linuxfoundation/v1sync/stages/v2client"
	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
	v2sim "github.com/linuxfoundation/v1sync/test/sim/v2"
)

// Through the runner on the durable consumer: duplicate and out-of-order
// revisions of one key, interleaved with other keys, under 30% 503s. The
// final v2 state is the newest revision's and every record has one object.
func TestRunnerDuplicatesAndOutOfOrderConverge(t *testing.T) {
	h := newHarness(t, nil)
	root := h.sim.RootUID()
	if err := h.sim.SetFault(v2sim.AllEndpoints, v2sim.Fault{ErrorRate: 0.3}); err != nil {
		t.Fatal(err)
	}
	rev := func(sfid string, r uint64, name string) intent.Intent {
		return projectIntent(t, sfid, r, projectBase(root, "s"+sfid, name), nil)
	}
	var intents []intent.Intent
	for _, sfid := range []string{"k1", "k2", "k3"} {
		intents = append(intents, rev(sfid, 3, "three"), rev(sfid, 1, "one"), rev(sfid, 3, "three"), rev(sfid, 2, "two"))
	}
	publishIntents(t, h.env, intents)

	cfg := pipeline.DefaultConfig()
	cfg.Backoff.Initial, cfg.Backoff.Max = 10*time.Millisecond, 100*time.Millisecond
	r, err := pipeline.NewRunner(cfg, h.stage, h.env.JS)
	if err != nil {
		t.Fatal(err)
	}
	cons, err := h.env.JS.Consumer(context.Background(), streams.V2Intents, streams.StageWrite)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- r.Run(ctx, cons) }()
	natstest.Eventually(t, 60*time.Second, "all intents settled", func() bool {
		s := h.stage.Stats()
		return s.Created == 3 && s.StaleDropped == 9
	})
	cancel()
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	h.sim.ClearFaults()
	for _, sfid := range []string{"k1", "k2", "k3"} {
		base, _ := h.get(v2client.Projects, v2client.ProjectPath(h.live(idmap.ProjectSFIDKey(sfid))))
		if base["name"] != "three" {
			t.Errorf("%s: name %v, want three", sfid, base["name"])
		}
	}
	if n := len(h.records(v2sim.KindProject)); n != 4 {
		t.Errorf("%d projects, want ROOT + 3", n)
	}
	if info, err := cons.Info(context.Background()); err != nil || info.NumAckPending != 0 || info.NumPending != 0 {
		t.Errorf("consumer not drained: %+v %v", info, err)
	}
}

// Three runners share the durable consumer (as three write processes would
// without partition groups, so one key may be in two of them at once):
// creates and updates of the same keys, under 503s and lost answers, never
// make a second v2 object.
func TestThreeRunnersOnOneConsumerNoDuplicates(t *testing.T) {
	h := newHarness(t, nil)
	h.shortLease(2 * time.Second)
	root := h.sim.RootUID()
	for ep, f := range map[v2sim.Endpoint]v2sim.Fault{
		v2sim.AllEndpoints:  {ErrorRate: 0.3},
		v2sim.ProjectCreate: {ErrorRate: 0.2, FailPublishRate: 0.3},
	} {
		if err := h.sim.SetFault(ep, f); err != nil {
			t.Fatal(err)
		}
	}
	const keys = 20
	var intents []intent.Intent
	for rev := uint64(1); rev <= 2; rev++ {
		for k := range keys {
			sfid := "p" + string(rune('a'+k))
			intents = append(intents, projectIntent(t, sfid, rev, projectBase(root, "slug-"+sfid, "rev"), nil))
		}
	}
	publishIntents(t, h.env, intents)

	cfg := pipeline.DefaultConfig()
	cfg.Backoff.Initial, cfg.Backoff.Max = 10*time.Millisecond, 100*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 3)
	for range 3 {
		r, err := pipeline.NewRunner(cfg, h.stage, h.env.JS)
		if err != nil {
			t.Fatal(err)
		}
		cons, err := h.env.JS.Consumer(context.Background(), streams.V2Intents, streams.StageWrite)
		if err != nil {
			t.Fatal(err)
		}
		go func() { stopped <- r.Run(ctx, cons) }()
	}
	cons, _ := h.env.JS.Consumer(context.Background(), streams.V2Intents, streams.StageWrite)
	natstest.Eventually(t, 90*time.Second, "every intent acked", func() bool {
		info, err := cons.Info(context.Background())
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0
	})
	cancel()
	for range 3 {
		if err := <-stopped; err != nil {
			t.Fatal(err)
		}
	}
	h.sim.ClearFaults()
	if n := len(h.records(v2sim.KindProject)); n != keys+1 {
		t.Fatalf("%d projects, want ROOT + %d", n, keys)
	}
	for k := range keys {
		if h.live(idmap.ProjectSFIDKey("p"+string(rune('a'+k)))) == "" {
			t.Errorf("key %d unmapped", k)
		}
	}
}
