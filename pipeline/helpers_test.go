package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
)

const (
	inStream  = "IN"
	outStream = "OUT"
	consumer  = "test"
	ackWait   = 2 * time.Second
)

// stageFunc is a test stage built from a function.
type stageFunc struct {
	name string
	fn   func(ctx context.Context, in *pipeline.Message) ([]*pipeline.Message, error)
}

func (s stageFunc) Name() string { return s.name }
func (s stageFunc) Handle(ctx context.Context, in *pipeline.Message) ([]*pipeline.Message, error) {
	return s.fn(ctx, in)
}

// passThrough copies every input to out.<input subject>.
func passThrough(_ context.Context, in *pipeline.Message) ([]*pipeline.Message, error) {
	out := pipeline.NewMessage("out."+in.Subject, in.Data)
	out.Header = in.Header
	return []*pipeline.Message{out}, nil
}

// testConfig is DefaultConfig with delays short enough for tests.
func testConfig() pipeline.Config {
	cfg := pipeline.DefaultConfig()
	cfg.AckWait = ackWait
	cfg.Backoff = pipeline.BackoffConfig{Initial: 20 * time.Millisecond, Max: 200 * time.Millisecond, Multiplier: 2, Jitter: 0.3}
	cfg.ShutdownTimeout = 5 * time.Second
	cfg.PublishTimeout = time.Second
	cfg.ShutdownNakDelay = 50 * time.Millisecond
	cfg.MaxDeliveries = 5
	return cfg
}

// setup starts a server with the v1sync topology (for the DLQ), an input
// stream IN (in.>) with its durable consumer, and, if withOut, OUT (out.>).
func setup(t testing.TB, withOut bool) *natstest.Env {
	t.Helper()
	env := natstest.Start(t)
	env.Provision(t, streams.Config{})
	ctx := context.Background()
	mustStream(t, env.JS, jetstream.StreamConfig{Name: inStream, Subjects: []string{"in.>"}, Duplicates: time.Hour})
	if withOut {
		mustStream(t, env.JS, outConfig())
	}
	_, err := env.JS.CreateConsumer(ctx, inStream, jetstream.ConsumerConfig{
		Durable: consumer, AckPolicy: jetstream.AckExplicitPolicy, AckWait: ackWait, MaxDeliver: 50, MaxAckPending: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func outConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{Name: outStream, Subjects: []string{"out.>"}, Duplicates: time.Hour}
}

func mustStream(t testing.TB, js jetstream.JetStream, cfg jetstream.StreamConfig) {
	t.Helper()
	if _, err := js.CreateStream(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
}

// running is a runner consuming IN in the background.
type running struct {
	*pipeline.Runner
	cancel  context.CancelFunc
	done    chan error
	once    sync.Once
	stopErr error
}

// stop cancels Run and returns its error; later calls return the same.
func (r *running) stop() error {
	r.once.Do(func() {
		r.cancel()
		r.stopErr = <-r.done
	})
	return r.stopErr
}

func start(t testing.TB, env *natstest.Env, cfg pipeline.Config, st pipeline.Stage, opts ...pipeline.Option) *running {
	t.Helper()
	opts = append([]pipeline.Option{pipeline.WithLogger(zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel))}, opts...)
	r, err := pipeline.NewRunner(cfg, st, env.JS, opts...)
	if err != nil {
		t.Fatal(err)
	}
	cons, err := env.JS.Consumer(context.Background(), inStream, consumer)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	run := &running{Runner: r, cancel: cancel, done: make(chan error, 1)}
	go func() { run.done <- r.Run(ctx, cons) }()
	t.Cleanup(func() { _ = run.stop() })
	return run
}

func publish(t testing.TB, js jetstream.JetStream, subject, key string, data []byte, hdr nats.Header) {
	t.Helper()
	m := &nats.Msg{Subject: subject, Data: data, Header: nats.Header{}}
	for k, v := range hdr {
		m.Header[k] = v
	}
	if key != "" {
		m.Header.Set(streams.HeaderKey, key)
	}
	if _, err := js.PublishMsg(context.Background(), m); err != nil {
		t.Fatal(err)
	}
}

// storedMsgs reads every message of a stream in order.
func storedMsgs(t testing.TB, js jetstream.JetStream, name string) []*jetstream.RawStreamMsg {
	t.Helper()
	s, err := js.Stream(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := s.GetMsg(context.Background(), seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// settledAll reports whether the test consumer has nothing pending or unacked.
func settledAll(t testing.TB, js jetstream.JetStream) bool {
	info := consumerInfo(t, js)
	return info.NumPending == 0 && info.NumAckPending == 0
}

func consumerInfo(t testing.TB, js jetstream.JetStream) *jetstream.ConsumerInfo {
	t.Helper()
	c, err := js.Consumer(context.Background(), inStream, consumer)
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// meter is a MeterProvider whose counters a test can read.
type meter struct {
	*sdkmetric.MeterProvider
	reader *sdkmetric.ManualReader
}

func newMeter() *meter {
	r := sdkmetric.NewManualReader()
	return &meter{MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(r)), reader: r}
}

// count sums an int64 counter over data points whose attributes include
// attr=val (attr "" matches all).
func (m *meter) count(t testing.TB, name, attr, val string) int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := m.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, sm := range rm.ScopeMetrics {
		for _, md := range sm.Metrics {
			sum, ok := md.Data.(metricdata.Sum[int64])
			if md.Name != name || !ok {
				continue
			}
			for _, dp := range sum.DataPoints {
				if v, ok := dp.Attributes.Value(attribute.Key(attr)); attr == "" || ok && v.AsString() == val {
					n += dp.Value
				}
			}
		}
	}
	return n
}

func keyOf(i int) string { return fmt.Sprintf("k%03d", i) }
