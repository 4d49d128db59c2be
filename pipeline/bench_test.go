package pipeline_test

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/streams/embedded"
	"github.com/linuxfoundation/v1sync/test/natstest"
)

const (
	benchMsgSize = 256
	benchKeys    = 1000
)

// BenchmarkRunnerVsRaw measures, in one run on one server, the runner with a
// pass-through stage (publish N inputs; the runner consumes them, publishes
// N outputs with ids, waits for their PubAcks and acks) against two raw
// JetStream loops over the same messages: "raw" publishes N and consumes and
// acks N; "forward" does the runner's JetStream work by hand (consume,
// async publish with id, ack on PubAck) without ordering, retries or
// telemetry. The runner runs with the default prefetch (32, sized for slow
// v2 calls) and with the 128 the normalize stage uses. Each loop runs
// twice, in mirrored order, and reports its mean, so that neither position
// in the run nor the server's background flushing favours one. Run with
// -benchtime Nx.
func BenchmarkRunnerVsRaw(b *testing.B) {
	env := natstest.Start(b)
	loops := []func(*testing.B, jetstream.JetStream, string) time.Duration{rawLoop, forwardLoop, runnerLoop(0), runnerLoop(128)}
	rates := make([]float64, len(loops))
	for _, i := range []int{0, 1, 2, 3, 3, 2, 1, 0} {
		rates[i] += measure(b, env.JS, strconv.Itoa(i), loops[i]) / 2
	}
	raw, fwd, run, run128 := rates[0], rates[1], rates[2], rates[3]
	b.ReportMetric(raw, "raw_msgs/s")
	b.ReportMetric(fwd, "forward_msgs/s")
	b.ReportMetric(run, "runner_msgs/s")
	b.ReportMetric(run/raw, "runner/raw")
	b.ReportMetric(run/fwd, "runner/forward")
	b.ReportMetric(run128, "runner_pull128_msgs/s")
	b.ReportMetric(run128/raw, "runner_pull128/raw")
}

// BenchmarkRawSyncInterval measures the raw loop on a server that fsyncs
// every second (our embedded default) and on one that fsyncs before every
// PubAck (SyncAlways).
func BenchmarkRawSyncInterval(b *testing.B) {
	interval := embedded.DefaultConfig(b.TempDir())
	always := embedded.DefaultConfig(b.TempDir())
	always.SyncAlways = true
	perSec := measure(b, natstest.StartWith(b, interval).JS, "raw", rawLoop)
	synced := measure(b, natstest.StartWith(b, always).JS, "raw", rawLoop)
	b.ReportMetric(perSec, "sync1s_msgs/s")
	b.ReportMetric(synced, "syncalways_msgs/s")
	b.ReportMetric(perSec/synced, "sync1s/syncalways")
}

var benchRun atomic.Int64

// measure creates fresh streams, runs loop over b.N messages and returns
// messages per second.
func measure(b *testing.B, js jetstream.JetStream, name string, loop func(b *testing.B, js jetstream.JetStream, p string) time.Duration) float64 {
	b.Helper()
	p := fmt.Sprintf("b%d%s", benchRun.Add(1), name)
	for _, s := range []string{p + "in", p + "out"} {
		if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{
			Name: s, Subjects: []string{s + ".>"}, Duplicates: time.Hour}); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := js.CreateConsumer(context.Background(), p+"in", jetstream.ConsumerConfig{
		Durable: "c", AckPolicy: jetstream.AckExplicitPolicy, AckWait: 30 * time.Second}); err != nil {
		b.Fatal(err)
	}
	d := loop(b, js, p)
	for _, s := range []string{p + "in", p + "out"} {
		_ = js.DeleteStream(context.Background(), s) // keep later loops off this one's disk work
	}
	return float64(b.N) / d.Seconds()
}

// publishInputs stores b.N messages of benchMsgSize over benchKeys keys.
func publishInputs(b *testing.B, js jetstream.JetStream, p string) {
	b.Helper()
	data := make([]byte, benchMsgSize)
	for i := range b.N {
		m := &nats.Msg{Subject: p + "in.x", Data: data, Header: nats.Header{}}
		m.Header.Set(streams.HeaderKey, strconv.Itoa(i%benchKeys))
		if _, err := js.PublishMsgAsync(m, jetstream.WithStallWait(time.Minute)); err != nil {
			b.Fatal(err)
		}
	}
	<-js.PublishAsyncComplete()
}

func rawLoop(b *testing.B, js jetstream.JetStream, p string) time.Duration {
	start := time.Now()
	publishInputs(b, js, p)
	cons := mustConsumer(b, js, p)
	var n atomic.Int64
	cc, err := cons.Consume(func(m jetstream.Msg) { _ = m.Ack(); n.Add(1) })
	if err != nil {
		b.Fatal(err)
	}
	waitSettled(b, cons)
	d := time.Since(start)
	cc.Stop()
	return d
}

func forwardLoop(b *testing.B, js jetstream.JetStream, p string) time.Duration {
	start := time.Now()
	publishInputs(b, js, p)
	cons := mustConsumer(b, js, p)
	cc, err := cons.Consume(func(m jetstream.Msg) {
		md, _ := m.Metadata()
		out := &nats.Msg{Subject: p + "out.x", Header: m.Headers(), Data: m.Data()}
		out.Header.Set(streams.HeaderMsgID, fmt.Sprintf("%s:%d:0", md.Stream, md.Sequence.Stream))
		f, err := js.PublishMsgAsync(out, jetstream.WithStallWait(time.Minute))
		if err != nil {
			_ = m.Nak()
			return
		}
		go func() {
			select {
			case <-f.Ok():
				_ = m.Ack()
			case <-f.Err():
				_ = m.Nak()
			}
		}()
	})
	if err != nil {
		b.Fatal(err)
	}
	waitSettled(b, cons)
	d := time.Since(start)
	cc.Stop()
	return d
}

// runnerLoop runs the runner with prefetch pull, or the default when 0.
func runnerLoop(pull int) func(*testing.B, jetstream.JetStream, string) time.Duration {
	return func(b *testing.B, js jetstream.JetStream, p string) time.Duration {
		return runRunner(b, js, p, pull)
	}
}

func runRunner(b *testing.B, js jetstream.JetStream, p string, pull int) time.Duration {
	st := stageFunc{name: "bench", fn: func(_ context.Context, in *pipeline.Message) ([]*pipeline.Message, error) {
		return []*pipeline.Message{{Subject: p + "out.x", Header: in.Header, Data: in.Data}}, nil
	}}
	cfg := pipeline.DefaultConfig()
	if pull > 0 {
		cfg.PullMaxMessages = pull
	}
	r, err := pipeline.NewRunner(cfg, st, js)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	publishInputs(b, js, p)
	cons := mustConsumer(b, js, p)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, cons) }()
	waitSettled(b, cons)
	d := time.Since(start)
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	return d
}

func mustConsumer(b *testing.B, js jetstream.JetStream, p string) jetstream.Consumer {
	b.Helper()
	c, err := js.Consumer(context.Background(), p+"in", "c")
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// waitSettled polls until the server has every input acked.
func waitSettled(b *testing.B, c jetstream.Consumer) {
	b.Helper()
	natstest.Eventually(b, 5*time.Minute, "inputs acked", func() bool {
		info, err := c.Info(context.Background())
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0 && info.Delivered.Stream >= uint64(b.N)
	})
}
