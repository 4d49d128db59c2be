package pipeline_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
)

// Cancelling Run finishes in-flight handlers, hands the rest back in key
// order, and returns; a new runner then finishes everything without losing
// or duplicating an output. Order holds within each runner's life; across
// the restart the server may interleave handed-back and never-delivered
// messages of a key (its redelivery order is not the nak order), which is
// why stages are version-aware (normalize's timestamps, write's revision
// guard). The test logs such reorders rather than asserting them away.
func TestGracefulShutdownLosesNothing(t *testing.T) {
	const keys, perKey = 5, 10
	env := setup(t, true)
	log := newOrderLog()
	st := stageFunc{name: "slow", fn: func(ctx context.Context, in *pipeline.Message) ([]*pipeline.Message, error) {
		select {
		case <-time.After(30 * time.Millisecond): // simulated work
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		n, _ := strconv.Atoi(string(in.Data))
		log.record(in.Header.Get(streams.HeaderKey), n)
		return passThrough(ctx, in)
	}}
	cfg := testConfig()
	first := start(t, env, cfg, st)
	publishKeyed(t, env.JS, keys, perKey)
	natstest.Eventually(t, 10*time.Second, "some handled", func() bool { return log.total() >= keys })

	stopped := make(chan error, 1)
	go func() { stopped <- first.stop() }()
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("graceful shutdown: %v", err)
		}
	case <-time.After(cfg.ShutdownTimeout + 5*time.Second):
		t.Fatalf("Run did not return within the shutdown bound %s", cfg.ShutdownTimeout)
	}
	handledBefore := log.total()
	before := log.snapshot()
	for key, seen := range before {
		if !slices.IsSorted(seen) {
			t.Errorf("key %s handled out of order before the shutdown: %v", key, seen)
		}
	}
	if handledBefore == keys*perKey {
		t.Log("everything finished before the shutdown; nothing was handed back")
	}

	start(t, env, cfg, st)
	natstest.Eventually(t, 20*time.Second, "all settled after restart", func() bool { return settledAll(t, env.JS) })
	if n := env.Msgs(t, outStream); n != keys*perKey {
		t.Fatalf("%d outputs stored, want %d", n, keys*perKey)
	}
	for key, seen := range log.snapshot() {
		if got := slices.Compact(slices.Sorted(slices.Values(seen))); len(got) != perKey {
			t.Errorf("key %s: handled %v, want each of %d messages", key, seen, perKey)
		}
		if !slices.IsSorted(slices.Compact(slices.Clone(seen))) {
			t.Logf("key %s reordered across the restart: %v", key, seen)
		}
	}
	t.Logf("handled %d before the shutdown, %d in all", handledBefore, log.total())
}

// A handler that outlives the shutdown bound is abandoned: Run returns with
// an error after the bound and the message is handed back, not lost.
func TestShutdownBoundHandsBackStuckHandler(t *testing.T) {
	env := setup(t, true)
	unblock := make(chan struct{})
	t.Cleanup(func() { close(unblock) })
	var stuck atomic.Bool
	st := stageFunc{name: "stuck", fn: func(ctx context.Context, in *pipeline.Message) ([]*pipeline.Message, error) {
		if stuck.CompareAndSwap(false, true) {
			<-unblock // ignores ctx, as a badly written stage would
		}
		return passThrough(ctx, in)
	}}
	cfg := testConfig()
	cfg.ShutdownTimeout = 300 * time.Millisecond
	first := start(t, env, cfg, st)
	publish(t, env.JS, "in.a", "a", []byte("x"), nil)
	natstest.Eventually(t, 5*time.Second, "handler stuck", stuck.Load)

	err := first.stop()
	if err == nil || !strings.Contains(err.Error(), "handed back 1") {
		t.Fatalf("want an error naming the handed-back message, got %v", err)
	}
	start(t, env, cfg, st)
	natstest.Eventually(t, 10*time.Second, "redelivered and settled", func() bool { return settledAll(t, env.JS) })
	if n := env.Msgs(t, outStream); n != 1 {
		t.Fatalf("%d outputs, want 1", n)
	}
}
