package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
)

var errFlaky = errors.New("v2 service unavailable")

// A handler that fails three times is retried with growing delays and its
// output is stored exactly once.
func TestTransientFailureRetriesWithGrowingDelays(t *testing.T) {
	env := setup(t, true)
	cfg := testConfig()
	cfg.Backoff = pipeline.BackoffConfig{Initial: 50 * time.Millisecond, Max: 5 * time.Second, Multiplier: 3, Jitter: 0.3}
	var mu sync.Mutex
	var calls []time.Time
	st := stageFunc{name: "flaky", fn: func(ctx context.Context, in *pipeline.Message) ([]*pipeline.Message, error) {
		mu.Lock()
		calls = append(calls, time.Now())
		n := len(calls)
		mu.Unlock()
		if n <= 3 {
			return nil, errFlaky
		}
		return passThrough(ctx, in)
	}}
	m := newMeter()
	start(t, env, cfg, st, pipeline.WithMeterProvider(m))
	publish(t, env.JS, "in.a", "a", []byte("x"), nil)
	natstest.Eventually(t, 10*time.Second, "input settled", func() bool { return settledAll(t, env.JS) })

	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 4 {
		t.Fatalf("handler called %d times, want 4", len(calls))
	}
	var gaps []time.Duration
	for i := 1; i < len(calls); i++ {
		gaps = append(gaps, calls[i].Sub(calls[i-1]))
	}
	t.Logf("retry gaps: %v", gaps)
	// Timers only fire late, so the lower end of each jittered delay is a
	// safe floor: 35ms, 105ms, 315ms.
	for i, g := range gaps {
		floor := time.Duration(float64(cfg.Backoff.Initial) * pow(cfg.Backoff.Multiplier, i) * (1 - cfg.Backoff.Jitter))
		if g < floor {
			t.Errorf("retry %d came after %s, want at least %s", i+1, g, floor)
		}
	}
	if gaps[2] <= gaps[0] {
		t.Errorf("delays did not grow: %v", gaps)
	}
	if n := env.Msgs(t, outStream); n != 1 {
		t.Errorf("%d outputs stored, want 1", n)
	}
	if n := m.count(t, "pipeline.succeeded", "", ""); n != 1 {
		t.Errorf("succeeded %d, want 1", n)
	}
	if n := m.count(t, "pipeline.retried", "cause", "handler"); n != 3 {
		t.Errorf("retried %d, want 3", n)
	}
}

func pow(x float64, n int) float64 {
	r := 1.0
	for range n {
		r *= x
	}
	return r
}

// A handler that always fails ends as exactly one dead letter that carries
// the original body and headers and every V1sync-* header.
func TestExhaustedRetriesDeadLetterOnce(t *testing.T) {
	env := setup(t, true)
	cfg := testConfig()
	var calls atomic.Int64
	st := stageFunc{name: "broken", fn: func(context.Context, *pipeline.Message) ([]*pipeline.Message, error) {
		calls.Add(1)
		return nil, errFlaky
	}}
	start(t, env, cfg, st)
	orig := nats.Header{"X-Origin": []string{"wal"}, "Nats-Msg-Id": []string{"orig-1"}}
	publish(t, env.JS, "in.projects.a", "projects.a", []byte(`{"id":"a"}`), orig)
	natstest.Eventually(t, 10*time.Second, "input settled", func() bool { return settledAll(t, env.JS) })

	if calls.Load() != int64(cfg.MaxDeliveries) {
		t.Errorf("handler called %d times, want MaxDeliveries %d", calls.Load(), cfg.MaxDeliveries)
	}
	dead := storedMsgs(t, env.JS, streams.DLQ)
	if len(dead) != 1 {
		t.Fatalf("%d dead letters, want 1", len(dead))
	}
	d := dead[0]
	if d.Subject != streams.DLQSubject("broken", "in.projects.a") || string(d.Data) != `{"id":"a"}` {
		t.Errorf("dead letter %s %q: wrong subject or body", d.Subject, d.Data)
	}
	want := map[string]string{
		"X-Origin":                  "wal",
		streams.HeaderKey:           "projects.a",
		"V1sync-Orig-Nats-Msg-Id":   "orig-1",
		streams.HeaderMsgID:         "dlq:IN:1",
		streams.HeaderDLQStage:      "broken",
		streams.HeaderDLQError:      "v2 service unavailable",
		streams.HeaderDLQReason:     string(pipeline.ReasonExhausted),
		streams.HeaderDLQStream:     inStream,
		streams.HeaderDLQSeq:        "1",
		streams.HeaderDLQSubject:    "in.projects.a",
		streams.HeaderDLQDeliveries: strconv.Itoa(cfg.MaxDeliveries),
	}
	for k, v := range want {
		if got := d.Header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	if _, err := time.Parse(time.RFC3339Nano, d.Header.Get(streams.HeaderDLQFailedAt)); err != nil {
		t.Errorf("header %s: %v", streams.HeaderDLQFailedAt, err)
	}
	if n := env.Msgs(t, outStream); n != 0 {
		t.Errorf("%d outputs stored for a failed message", n)
	}
}

// A permanent error dead-letters at once, with its reason, and the next
// message of the same key is handled.
func TestPermanentErrorDeadLettersAtOnce(t *testing.T) {
	env := setup(t, true)
	var calls atomic.Int64
	st := stageFunc{name: "strict", fn: func(ctx context.Context, in *pipeline.Message) ([]*pipeline.Message, error) {
		calls.Add(1)
		if string(in.Data) == "bad" {
			return nil, pipeline.WithReason(pipeline.Permanent(fmt.Errorf("undecodable")), "malformed")
		}
		return passThrough(ctx, in)
	}}
	start(t, env, testConfig(), st)
	publish(t, env.JS, "in.a", "a", []byte("bad"), nil)
	publish(t, env.JS, "in.a", "a", []byte("good"), nil)
	natstest.Eventually(t, 10*time.Second, "inputs settled", func() bool { return settledAll(t, env.JS) })

	if calls.Load() != 2 {
		t.Errorf("handler called %d times, want 2 (no retry of a permanent error)", calls.Load())
	}
	dead := storedMsgs(t, env.JS, streams.DLQ)
	if len(dead) != 1 || dead[0].Header.Get(streams.HeaderDLQReason) != "malformed" || dead[0].Header.Get(streams.HeaderDLQDeliveries) != "1" {
		t.Fatalf("want one dead letter with reason malformed after 1 attempt, got %d", len(dead))
	}
	outs := storedMsgs(t, env.JS, outStream)
	if len(outs) != 1 || string(outs[0].Data) != "good" {
		t.Fatalf("the next message was not handled: %d outputs", len(outs))
	}
}

// A panicking stage fails the attempt; it does not take the process down.
func TestPanickingStageEndsInDLQ(t *testing.T) {
	env := setup(t, true)
	st := stageFunc{name: "panicky", fn: func(context.Context, *pipeline.Message) ([]*pipeline.Message, error) {
		panic("nil map")
	}}
	start(t, env, testConfig(), st)
	publish(t, env.JS, "in.a", "a", []byte("x"), nil)
	natstest.Eventually(t, 10*time.Second, "input settled", func() bool { return settledAll(t, env.JS) })
	dead := storedMsgs(t, env.JS, streams.DLQ)
	if len(dead) != 1 || dead[0].Header.Get(streams.HeaderDLQError) != "stage panicked: nil map" {
		t.Fatalf("want one dead letter naming the panic, got %d", len(dead))
	}
}

// A dead letter the DLQ cannot store hands the message back instead of
// terminating it; once the DLQ is back the message lands there once.
func TestUnstorableDeadLetterIsHandedBack(t *testing.T) {
	env := setup(t, true)
	if err := env.JS.DeleteStream(context.Background(), streams.DLQ); err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int64
	st := stageFunc{name: "nodlq", fn: func(context.Context, *pipeline.Message) ([]*pipeline.Message, error) {
		calls.Add(1)
		return nil, pipeline.Permanent(errors.New("malformed"))
	}}
	start(t, env, testConfig(), st)
	publish(t, env.JS, "in.a", "a", []byte("x"), nil)
	natstest.Eventually(t, 10*time.Second, "redelivered after the failed dead letter", func() bool { return calls.Load() >= 2 })
	if info := consumerInfo(t, env.JS); info.NumAckPending != 1 {
		t.Fatalf("message settled without a stored dead letter: ack pending %d", info.NumAckPending)
	}
	env.Provision(t, streams.Config{})
	natstest.Eventually(t, 10*time.Second, "dead-lettered once the DLQ is back", func() bool { return settledAll(t, env.JS) })
	if n := env.Msgs(t, streams.DLQ); n != 1 {
		t.Fatalf("%d dead letters, want 1", n)
	}
}

type keyedStage struct{ stageFunc }

// Key orders by the body, ignoring subject and headers.
func (keyedStage) Key(in *pipeline.Message) string { return string(in.Data[:1]) }

// A stage's Keyer decides the lanes: messages of one Key never overlap even
// when subjects and headers differ.
func TestKeyerChoosesTheLane(t *testing.T) {
	env := setup(t, false)
	log := newOrderLog()
	st := keyedStage{stageFunc{name: "keyed", fn: func(_ context.Context, in *pipeline.Message) ([]*pipeline.Message, error) {
		key := string(in.Data[:1])
		defer log.enter(key)()
		time.Sleep(time.Millisecond) // simulated work, not synchronisation
		n, _ := strconv.Atoi(string(in.Data[1:]))
		log.record(key, n)
		return nil, nil
	}}}
	start(t, env, testConfig(), st)
	for i := range 20 {
		for _, k := range []string{"a", "b"} {
			publish(t, env.JS, fmt.Sprintf("in.%s.%d", k, i), fmt.Sprint(i), []byte(k+strconv.Itoa(i)), nil)
		}
	}
	natstest.Eventually(t, 10*time.Second, "all handled", func() bool { return log.total() == 40 })
	if log.overlap.Load() != 0 {
		t.Errorf("%d handlers overlapped within one Key", log.overlap.Load())
	}
	for k, seen := range log.seen {
		for i, n := range seen {
			if n != i {
				t.Fatalf("key %s handled %v out of order", k, seen)
			}
		}
	}
}
