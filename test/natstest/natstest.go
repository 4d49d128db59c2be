// Package natstest starts an embedded JetStream server for tests, with file
// storage in a temp dir so tests behave as production does.
package natstest

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/streams/embedded"
)

// Env is a running server with one client connection.
type Env struct {
	Server *embedded.Server
	NC     *nats.Conn
	JS     jetstream.JetStream
	// URL is the server's client URL, for child processes and the nats CLI.
	URL string
}

// Start runs a server listening on a random loopback port (so that child
// processes can connect) and stops it when the test ends.
func Start(t testing.TB) *Env {
	t.Helper()
	cfg := embedded.DefaultConfig(t.TempDir())
	cfg.Port = -1
	return StartWith(t, cfg)
}

// StartWith runs a server with cfg.
func StartWith(t testing.TB, cfg embedded.Config) *Env {
	t.Helper()
	s, err := embedded.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	nc, err := s.Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{Server: s, NC: nc, JS: js}
	if cfg.Port != 0 {
		env.URL = s.ClientURL()
	}
	return env
}

// Provision creates the v1sync topology with cfg (streams.DefaultConfig()
// when zero).
func (e *Env) Provision(t testing.TB, cfg streams.Config) {
	t.Helper()
	if cfg == (streams.Config{}) {
		cfg = streams.DefaultConfig()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := streams.Provision(ctx, e.JS, cfg); err != nil {
		t.Fatal(err)
	}
}

// KV opens a bucket or fails the test.
func (e *Env) KV(t testing.TB, bucket string) jetstream.KeyValue {
	t.Helper()
	kv, err := e.JS.KeyValue(context.Background(), bucket)
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

// Msgs returns how many messages stream holds, or fails the test.
func (e *Env) Msgs(t testing.TB, stream string) uint64 {
	t.Helper()
	s, err := e.JS.Stream(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// Eventually polls cond every 20ms until it returns true or the deadline
// passes; tests synchronise with it instead of sleeping.
func Eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
