package pipeline_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/streams"
)

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*pipeline.Config)
		valid bool
	}{
		{"ok - defaults", func(*pipeline.Config) {}, true},
		{"ok - in-progress derived from ack wait", func(c *pipeline.Config) { c.AckWait = 3 * time.Second }, true},
		{"error - no workers", func(c *pipeline.Config) { c.Workers = 0 }, false},
		{"error - held below workers", func(c *pipeline.Config) { c.MaxHeld = c.Workers - 1 }, false},
		{"error - in-progress not below ack wait", func(c *pipeline.Config) { c.InProgressEvery = c.AckWait }, false},
		{"error - backoff max below initial", func(c *pipeline.Config) { c.Backoff.Max = c.Backoff.Initial / 2 }, false},
		{"error - jitter of one", func(c *pipeline.Config) { c.Backoff.Jitter = 1 }, false},
		{"error - breaker samples above window", func(c *pipeline.Config) { c.Breaker.MinSamples = c.Breaker.Window + 1 }, false},
		{"error - breaker share zero", func(c *pipeline.Config) { c.Breaker.MaxShare = 0 }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := pipeline.DefaultConfig()
			tc.edit(&cfg)
			if err := cfg.Validate(); (err == nil) != tc.valid {
				t.Fatalf("Validate() = %v, want valid %v", err, tc.valid)
			}
		})
	}
	if got := pipeline.DefaultConfig().KeepAliveEvery(); got != 10*time.Second {
		t.Errorf("default keep-alive %s, want AckWait/3 = 10s", got)
	}
}

func TestDefaultKey(t *testing.T) {
	cases := []struct {
		name, subject, header, want string
	}{
		{"ok - header wins", "v1.changes.platform.project.3", "platform-project.a1", "platform-project.a1"},
		{"ok - KV key", "$KV.v1-objects.platform-project.a1", "", "platform-project.a1"},
		{"ok - subject", "lfx.project.created", "", "lfx.project.created"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := &pipeline.Message{Subject: tc.subject, Header: nats.Header{}}
			if tc.header != "" {
				m.Header.Set(streams.HeaderKey, tc.header)
			}
			if got := pipeline.DefaultKey(m); got != tc.want {
				t.Fatalf("DefaultKey = %q, want %q", got, tc.want)
			}
		})
	}
}

// A consumer whose AckWait expires between keep-alives would redeliver every
// held message; Run refuses it.
func TestRunRefusesAckWaitShorterThanKeepAlive(t *testing.T) {
	env := setup(t, false)
	cfg := pipeline.DefaultConfig() // keep-alive every 10s; the test consumer's AckWait is 2s
	r, err := pipeline.NewRunner(cfg, stageFunc{name: "mismatch", fn: passThrough}, env.JS)
	if err != nil {
		t.Fatal(err)
	}
	cons, err := env.JS.Consumer(context.Background(), inStream, consumer)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background(), cons); err == nil || !strings.Contains(err.Error(), "keep-alive") {
		t.Fatalf("Run = %v, want a refusal naming the keep-alive period", err)
	}
}
