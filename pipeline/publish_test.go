package pipeline_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
)

// An output that cannot be stored is the infrastructure's fault: the input
// stays unacked, never dead-lettered, and goes through once the stream is back.
func TestUnstorableOutputIsNotAckedAndNotLost(t *testing.T) {
	cases := []struct {
		name    string
		breakIt func(t *testing.T, env *natstest.Env)
		fix     func(t *testing.T, env *natstest.Env)
	}{
		{"missing stream",
			func(*testing.T, *natstest.Env) {},
			func(t *testing.T, env *natstest.Env) { mustStream(t, env.JS, outConfig()) }},
		{"full stream",
			func(t *testing.T, env *natstest.Env) {
				cfg := outConfig()
				cfg.MaxMsgs, cfg.Discard = 1, jetstream.DiscardNew
				mustStream(t, env.JS, cfg)
				publish(t, env.JS, "out.filler", "", []byte("filler"), nil)
			},
			func(t *testing.T, env *natstest.Env) {
				s, err := env.JS.Stream(context.Background(), outStream)
				if err != nil {
					t.Fatal(err)
				}
				if err := s.Purge(context.Background()); err != nil {
					t.Fatal(err)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := setup(t, false)
			tc.breakIt(t, env)
			m := newMeter()
			var calls atomic.Int64
			st := stageFunc{name: "unstorable", fn: func(ctx context.Context, in *pipeline.Message) ([]*pipeline.Message, error) {
				calls.Add(1)
				return passThrough(ctx, in)
			}}
			start(t, env, testConfig(), st, pipeline.WithMeterProvider(m))
			publish(t, env.JS, "in.a", "a", []byte("payload"), nil)

			natstest.Eventually(t, 10*time.Second, "publish retries", func() bool {
				return m.count(t, "pipeline.retried", "cause", "publish") >= 3
			})
			if info := consumerInfo(t, env.JS); info.NumAckPending != 1 {
				t.Fatalf("input acked while its output was not stored: ack pending %d", info.NumAckPending)
			}
			if n := env.Msgs(t, streams.DLQ); n != 0 {
				t.Fatalf("infrastructure fault dead-lettered %d messages", n)
			}
			tc.fix(t, env)
			natstest.Eventually(t, 10*time.Second, "input settled", func() bool { return settledAll(t, env.JS) })
			outs := storedMsgs(t, env.JS, outStream)
			if len(outs) != 1 || string(outs[0].Data) != "payload" {
				t.Fatalf("want the one output stored, got %d messages", len(outs))
			}
			if calls.Load() != 1 {
				t.Errorf("handler called %d times; a publish retry should not re-handle", calls.Load())
			}
		})
	}
}
