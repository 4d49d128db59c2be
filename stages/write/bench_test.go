package write

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/intent"
	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
	v2sim "github.com/linuxfoundation/v1sync/test/sim/v2"
)

// benchSeq keeps slugs unique across the benchmark's repeated runs.
var benchSeq atomic.Int64

// BenchmarkWriteThroughRunner measures intents/s from V2_INTENTS through the
// runner and the write stage into the simulator, for project creates (one
// v2 call each) and project updates (GET + PUT), at simulator latency 0 and
// 20 ms per call. The concurrency bound is workers ÷ (calls × latency).
//
//	go test -run '^$' -bench WriteThroughRunner -benchtime 400x -count 5 ./stages/write/
func BenchmarkWriteThroughRunner(b *testing.B) {
	for _, latency := range []time.Duration{0, 20 * time.Millisecond} {
		for _, workers := range []int{16, 64} {
			for _, op := range []string{"create", "update"} {
				name := fmt.Sprintf("op=%s/latency=%s/workers=%d", op, latency, workers)
				b.Run(name, func(b *testing.B) { benchWrite(b, op, latency, workers) })
			}
		}
	}
}

func benchWrite(b *testing.B, op string, latency time.Duration, workers int) {
	h := newHarness(b, func(c *v2sim.Config) { c.EventDelay = v2sim.Delay{Max: time.Millisecond} })
	root := h.sim.RootUID()
	run := benchSeq.Add(1)
	intents := make([]intent.Intent, b.N)
	for i := range intents {
		sfid := fmt.Sprintf("b%d-%d", run, i)
		intents[i] = projectIntent(b, sfid, 1, projectBase(root, fmt.Sprintf("bench-%d-%d", run, i), "Bench"), nil)
	}
	if op == "update" {
		// Create them first, without latency, then time the updates.
		for _, in := range intents {
			h.mustHandle(in)
		}
		for i := range intents {
			intents[i] = projectIntent(b, intents[i].V1ID, 2,
				projectBase(root, fmt.Sprintf("bench-%d-%d", run, i), "Bench renamed"), nil)
		}
	}
	if err := h.sim.SetFault(v2sim.AllEndpoints, v2sim.Fault{Latency: latency}); err != nil {
		b.Fatal(err)
	}
	publishIntents(b, h.env, intents)
	before := h.stage.Stats()
	done := func() bool {
		s := h.stage.Stats()
		return s.Created-before.Created+s.Updated-before.Updated >= int64(b.N)
	}

	cfg := pipeline.DefaultConfig()
	cfg.Workers, cfg.PullMaxMessages = workers, workers
	cfg.MaxHeld = max(cfg.MaxHeld, 2*workers)
	r, err := pipeline.NewRunner(cfg, h.stage, h.env.JS)
	if err != nil {
		b.Fatal(err)
	}
	cons, err := h.env.JS.Consumer(context.Background(), streams.V2Intents, streams.StageWrite)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	b.ResetTimer()
	start := time.Now()
	go func() { stopped <- r.Run(ctx, cons) }()
	natstest.Eventually(b, 5*time.Minute, "every intent applied", done)
	elapsed := time.Since(start)
	b.StopTimer()
	cancel()
	if err := <-stopped; err != nil {
		b.Fatal(err)
	}
	calls := 1.0
	if op == "update" {
		calls = 2
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "intents/s")
	if latency > 0 {
		bound := float64(workers) / (calls * latency.Seconds())
		b.ReportMetric(100*float64(b.N)/elapsed.Seconds()/bound, "%bound")
	}
}

func publishIntents(b testing.TB, env *natstest.Env, intents []intent.Intent) {
	b.Helper()
	cfg := streams.DefaultConfig()
	for i, in := range intents {
		data, err := in.Marshal()
		if err != nil {
			b.Fatal(err)
		}
		m := nats.NewMsg(streams.V2IntentSubject(string(in.Entity), in.Key, cfg.Partitions))
		m.Data = data
		m.Header.Set(streams.HeaderKey, in.Key)
		// Unique ids: a repeated intent is a republish outside the
		// de-duplication window, delivered again.
		m.Header.Set(streams.HeaderMsgID, fmt.Sprintf("%s@%d#%d", in.Key, in.SourceRevision, i))
		if _, err := env.JS.PublishMsgAsync(m); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-env.JS.PublishAsyncComplete():
	case <-time.After(time.Minute):
		b.Fatal("publishing intents timed out")
	}
}

// BenchmarkWriteHandleDirect is the baseline without the runner: workers
// goroutines call Handle on distinct keys, project creates only.
func BenchmarkWriteHandleDirect(b *testing.B) {
	for _, latency := range []time.Duration{0, 20 * time.Millisecond} {
		for _, workers := range []int{1, 16, 64} {
			b.Run(fmt.Sprintf("latency=%s/workers=%d", latency, workers), func(b *testing.B) {
				h := newHarness(b, func(c *v2sim.Config) { c.EventDelay = v2sim.Delay{Max: time.Millisecond} })
				if err := h.sim.SetFault(v2sim.AllEndpoints, v2sim.Fault{Latency: latency}); err != nil {
					b.Fatal(err)
				}
				run := benchSeq.Add(1)
				next := atomic.Int64{}
				work := make(chan struct{}, workers)
				b.ResetTimer()
				start := time.Now()
				errs := make(chan error, workers)
				for range workers {
					go func() {
						for {
							i := next.Add(1) - 1
							if i >= int64(b.N) {
								errs <- nil
								return
							}
							in := projectIntent(b, fmt.Sprintf("d%d-%d", run, i), 1,
								projectBase(h.sim.RootUID(), fmt.Sprintf("direct-%d-%d", run, i), "Direct"), nil)
							if err := h.handle(in); err != nil {
								errs <- err
								return
							}
						}
					}()
				}
				for range workers {
					if err := <-errs; err != nil {
						b.Fatal(err)
					}
				}
				elapsed := time.Since(start)
				close(work)
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "intents/s")
				if latency > 0 {
					b.ReportMetric(100*float64(b.N)/elapsed.Seconds()/(float64(workers)/latency.Seconds()), "%bound")
				}
			})
		}
	}
}
