package pipeline_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
)

// orderLog records, per key, the order in which a stage saw its messages,
// and the peak number of handlers running at once.
type orderLog struct {
	mu      sync.Mutex
	seen    map[string][]int
	running atomic.Int64
	peak    atomic.Int64
	overlap atomic.Int64 // handlers that ran while another of their key ran
	busy    sync.Map     // key -> *atomic.Bool
}

func newOrderLog() *orderLog { return &orderLog{seen: map[string][]int{}} }

// enter marks a handler for key as running; the returned func leaves.
func (o *orderLog) enter(key string) func() {
	b, _ := o.busy.LoadOrStore(key, new(atomic.Bool))
	if !b.(*atomic.Bool).CompareAndSwap(false, true) {
		o.overlap.Add(1)
	}
	n := o.running.Add(1)
	for p := o.peak.Load(); n > p && !o.peak.CompareAndSwap(p, n); p = o.peak.Load() {
	}
	return func() { o.running.Add(-1); b.(*atomic.Bool).Store(false) }
}

func (o *orderLog) record(key string, n int) {
	o.mu.Lock()
	o.seen[key] = append(o.seen[key], n)
	o.mu.Unlock()
}

func (o *orderLog) snapshot() map[string][]int {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make(map[string][]int, len(o.seen))
	for k, v := range o.seen {
		out[k] = slices.Clone(v)
	}
	return out
}

func (o *orderLog) total() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, s := range o.seen {
		n += len(s)
	}
	return n
}

// publishKeyed publishes perKey messages for each of keys keys, round robin,
// with the message's index within its key as body; asynchronously, for speed.
func publishKeyed(t testing.TB, js jetstream.JetStream, keys, perKey int) {
	t.Helper()
	for i := range perKey {
		for k := range keys {
			m := &nats.Msg{Subject: "in." + keyOf(k), Data: []byte(strconv.Itoa(i)), Header: nats.Header{}}
			m.Header.Set(streams.HeaderKey, keyOf(k))
			if _, err := js.PublishMsgAsync(m, jetstream.WithStallWait(30*time.Second)); err != nil {
				t.Fatal(err)
			}
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(30 * time.Second):
		t.Fatal("async publish did not complete")
	}
}

// Same key: one at a time, in stream order. Different keys: in parallel.
func TestPerKeyOrderUnderConcurrency(t *testing.T) {
	const keys, perKey = 100, 100
	env := setup(t, false)
	log := newOrderLog()
	var work atomic.Int64 // total simulated work, to compare with wall time
	st := stageFunc{name: "ordered", fn: func(_ context.Context, in *pipeline.Message) ([]*pipeline.Message, error) {
		key := in.Header.Get(streams.HeaderKey)
		defer log.enter(key)()
		n, _ := strconv.Atoi(string(in.Data))
		d := rand.N(2 * time.Millisecond)
		time.Sleep(d) // simulated work, not synchronisation
		work.Add(int64(d))
		log.record(key, n)
		return nil, nil
	}}
	cfg := testConfig()
	cfg.Workers = 16
	publishKeyed(t, env.JS, keys, perKey)
	began := time.Now()
	start(t, env, cfg, st)
	natstest.Eventually(t, 90*time.Second, "all handled", func() bool { return log.total() == keys*perKey })
	t.Logf("wall %s for %s of handler work (%.1fx)", time.Since(began).Round(time.Millisecond),
		time.Duration(work.Load()).Round(time.Millisecond), float64(work.Load())/float64(time.Since(began)))
	natstest.Eventually(t, 10*time.Second, "all acked", func() bool { return settledAll(t, env.JS) })

	for key, seen := range log.seen {
		for i, n := range seen {
			if n != i {
				t.Fatalf("key %s: handled %v, want 0..%d in order", key, seen[:min(len(seen), i+3)], perKey-1)
			}
		}
	}
	if log.overlap.Load() != 0 {
		t.Errorf("%d handlers ran while another of their key was running", log.overlap.Load())
	}
	t.Logf("peak concurrent handlers: %d (workers %d)", log.peak.Load(), cfg.Workers)
	if p := log.peak.Load(); p < 2 || p > int64(cfg.Workers) {
		t.Errorf("peak concurrency %d: want parallel keys, bounded by %d workers", p, cfg.Workers)
	}
}

// A retrying message holds back the later messages of its key, and only of
// its key; once it succeeds they follow in order.
func TestRetryingKeyHoldsBackOnlyItsKey(t *testing.T) {
	env := setup(t, false)
	var release atomic.Bool
	log := newOrderLog()
	st := stageFunc{name: "stuck", fn: func(_ context.Context, in *pipeline.Message) ([]*pipeline.Message, error) {
		key := in.Header.Get(streams.HeaderKey)
		n, _ := strconv.Atoi(string(in.Data))
		if key == "stuck" && n == 0 && !release.Load() {
			return nil, fmt.Errorf("parent not mapped yet")
		}
		log.record(key, n)
		return nil, nil
	}}
	cfg := testConfig()
	cfg.MaxDeliveries = 1000
	start(t, env, cfg, st)
	for i := range 3 {
		publish(t, env.JS, "in.stuck", "stuck", []byte(strconv.Itoa(i)), nil)
	}
	for k := range 20 {
		for i := range 3 {
			publish(t, env.JS, "in."+keyOf(k), keyOf(k), []byte(strconv.Itoa(i)), nil)
		}
	}
	natstest.Eventually(t, 10*time.Second, "other keys handled", func() bool { return log.total() == 60 })
	log.mu.Lock()
	if got := log.seen["stuck"]; len(got) != 0 {
		t.Fatalf("later messages of the retrying key overtook it: %v", got)
	}
	log.mu.Unlock()
	natstest.Eventually(t, 5*time.Second, "only the stuck key's 3 messages held", func() bool {
		return consumerInfo(t, env.JS).NumAckPending == 3
	})

	release.Store(true)
	natstest.Eventually(t, 10*time.Second, "stuck key handled", func() bool { return settledAll(t, env.JS) })
	log.mu.Lock()
	defer log.mu.Unlock()
	if got := log.seen["stuck"]; fmt.Sprint(got) != "[0 1 2]" {
		t.Fatalf("stuck key handled %v, want [0 1 2]", got)
	}
}
