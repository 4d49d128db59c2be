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
