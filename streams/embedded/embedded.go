// Package embedded runs an in-process nats-server with JetStream: the
// default for a laptop or the demo, and the server every test runs against.
package embedded

import (
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Config of the embedded server.
type Config struct {
	// DataDir holds JetStream's files; data survives a restart.
	DataDir string
	// SyncInterval is how often JetStream fsyncs. JetStream's own default is
	// two minutes, which can lose acknowledged writes on power failure; we
	// default to one second. Ignored when SyncAlways is set.
	SyncInterval time.Duration
	// SyncAlways fsyncs before every PubAck: no loss window, at roughly 38x
	// lower publish throughput on a 2-core VM.
	SyncAlways bool
	// Host and Port to listen on for other processes (the nats CLI, a second
	// v1sync). Port 0 listens on no port (in-process only); -1 picks a free one.
	Host string
	Port int
}

// DefaultConfig returns a 1 s sync interval, in-process only.
func DefaultConfig(dataDir string) Config {
	return Config{DataDir: dataDir, SyncInterval: time.Second, Host: "127.0.0.1"}
}

// Validate reports a configuration the server cannot start with.
func (c Config) Validate() error {
	if c.DataDir == "" {
		return errors.New("embedded nats: data dir is required")
	}
	if !c.SyncAlways && c.SyncInterval <= 0 {
		return fmt.Errorf("embedded nats: sync interval %s: want > 0 or sync always", c.SyncInterval)
	}
	return nil
}

// Durability returns the interval after which a PubAck'd message is on disk:
// zero under SyncAlways.
func (c Config) Durability() time.Duration {
	if c.SyncAlways {
		return 0
	}
	return c.SyncInterval
}

// Server is a running embedded nats-server.
type Server struct {
	*server.Server
	cfg Config
}

// Start starts the server and waits until it accepts connections.
func Start(c Config) (*Server, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	opts := &server.Options{
		ServerName: "v1sync-embedded", JetStream: true, StoreDir: c.DataDir,
		SyncInterval: c.SyncInterval, SyncAlways: c.SyncAlways,
		NoLog: true, NoSigs: true, Host: c.Host, Port: c.Port,
		DontListen: c.Port == 0,
	}
	if c.SyncAlways {
		opts.SyncInterval = 0
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, errors.New("embedded nats: not ready after 10s")
	}
	return &Server{Server: s, cfg: c}, nil
}

// Connect opens a client connection to the server, in-process when it does
// not listen.
func (s *Server) Connect(opts ...nats.Option) (*nats.Conn, error) {
	if s.cfg.Port == 0 {
		opts = append(opts, nats.InProcessServer(s.Server))
		return nats.Connect("", opts...)
	}
	return nats.Connect(s.ClientURL(), opts...)
}

// Stop shuts the server down and waits for it.
func (s *Server) Stop() {
	s.Shutdown()
	s.WaitForShutdown()
}
