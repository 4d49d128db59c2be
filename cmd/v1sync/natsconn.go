package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/streams/embedded"
)

// natsOptions says which NATS to use and how the topology is sized. Every
// subcommand that talks to NATS registers these flags.
type natsOptions struct {
	URL       string // empty: start the embedded server
	CredsFile string
	// Embedded server only.
	DataDir string
	Listen  string
	Sync    syncSetting
	// External server only: its sync_interval, which we cannot ask it for.
	ServerSync syncSetting
	Replicas   int
	Partitions int
	LogLevel   string
}

func (o *natsOptions) register(fs *flag.FlagSet) {
	def := streams.DefaultConfig()
	o.Sync = syncSetting{Interval: time.Second}
	// JetStream's own default; override when the cluster is configured otherwise.
	o.ServerSync = syncSetting{Interval: 2 * time.Minute}
	fs.StringVar(&o.URL, "nats-url", "", "NATS server URL(s), comma-separated; empty starts an embedded server")
	fs.StringVar(&o.CredsFile, "nats-creds", "", "NATS credentials file (.creds)")
	fs.StringVar(&o.DataDir, "data-dir", "", "embedded server: JetStream storage directory (default <user cache dir>/v1sync)")
	fs.StringVar(&o.Listen, "listen", "127.0.0.1:4222", "embedded server: client address for other processes and the nats CLI; port 0 picks a free one, none listens on no port")
	fs.Var(&o.Sync, "sync-interval", "embedded server: fsync interval, or always (fsync before every ack)")
	fs.Var(&o.ServerSync, "server-sync-interval", "external server: its JetStream sync_interval, or always")
	fs.IntVar(&o.Replicas, "replicas", def.Replicas, "replicas of every stream and bucket (1 on one server, 3 in a cluster)")
	fs.IntVar(&o.Partitions, "partitions", def.Partitions, "partitions of V1_CHANGES and V2_INTENTS (fixed once created)")
	fs.StringVar(&o.LogLevel, "log-level", "info", "log level: debug, info, warn, error")
}

// topology returns the streams configuration the options describe.
func (o natsOptions) topology() streams.Config {
	c := streams.DefaultConfig()
	c.Replicas, c.Partitions = o.Replicas, o.Partitions
	return c
}

// natsConn is a connection to the NATS server in use, and the embedded
// server when v1sync started one.
type natsConn struct {
	NC       *nats.Conn
	JS       jetstream.JetStream
	Embedded *embedded.Server // nil for an external server
	// URL is safe to log: userinfo removed.
	URL string
	// Durability is how long after its PubAck a message may still be lost
	// to a power failure (zero: fsynced before the ack).
	Durability time.Duration

	closed chan struct{} // closed by the client once the connection is closed
}

// connectNATS connects to the configured server, or starts the embedded one
// when no URL is set. Starting it logs the URL, data dir and sync interval;
// callers that want that to be their first log line call this first.
func connectNATS(ctx context.Context, o natsOptions, log zerolog.Logger) (*natsConn, error) {
	if err := o.topology().Validate(); err != nil {
		return nil, err
	}
	closed := make(chan struct{})
	opts := []nats.Option{nats.Name("v1sync"), nats.MaxReconnects(-1),
		nats.ClosedHandler(func(*nats.Conn) { close(closed) })}
	if o.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(o.CredsFile))
	}
	if o.URL == "" {
		return startEmbedded(o, log, opts, closed)
	}
	safe := redactURLs(o.URL)
	nc, err := nats.Connect(o.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to NATS at %s: %s", safe, redactErr(err, o.URL))
	}
	log.Info().Str(pipeline.FieldURL, safe).Str(pipeline.FieldSyncInterval, o.ServerSync.String()).
		Msg("connected to NATS")
	return finishConn(&natsConn{NC: nc, URL: safe, Durability: o.ServerSync.Durability(), closed: closed})
}

func startEmbedded(o natsOptions, log zerolog.Logger, opts []nats.Option, closed chan struct{}) (*natsConn, error) {
	dir, err := dataDir(o.DataDir)
	if err != nil {
		return nil, err
	}
	cfg := embedded.DefaultConfig(dir)
	cfg.SyncAlways, cfg.SyncInterval = o.Sync.Always, o.Sync.Interval
	if cfg.Host, cfg.Port, err = listenAddr(o.Listen); err != nil {
		return nil, err
	}
	if err := portFree(cfg.Host, cfg.Port); err != nil {
		return nil, err
	}
	srv, err := embedded.Start(cfg)
	if err != nil {
		return nil, err
	}
	url := "in-process"
	if cfg.Port != 0 {
		url = srv.ClientURL()
	}
	log.Info().Str(pipeline.FieldURL, url).Str(pipeline.FieldDataDir, dir).Str(pipeline.FieldSyncInterval, o.Sync.String()).
		Msg("no NATS URL configured: started the embedded nats-server")
	nc, err := srv.Connect(opts...)
	if err != nil {
		srv.Stop()
		return nil, fmt.Errorf("connect to embedded nats: %w", err)
	}
	return finishConn(&natsConn{NC: nc, Embedded: srv, URL: url, Durability: cfg.Durability(), closed: closed})
}

func finishConn(c *natsConn) (*natsConn, error) {
	js, err := jetstream.New(c.NC)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	c.JS = js
	return c, nil
}

// Close drains the connection and stops the embedded server, if any.
func (c *natsConn) Close() {
	if c.NC != nil {
		// Drain flushes pending publishes; it is asynchronous, so wait for
		// the close it ends with, but not forever.
		if c.NC.Drain() == nil {
			select {
			case <-c.closed:
			case <-time.After(5 * time.Second):
			}
		}
		c.NC.Close()
	}
	if c.Embedded != nil {
		c.Embedded.Stop()
	}
}

// dataDir returns dir, or <user cache dir>/v1sync, created if missing.
func dataDir(dir string) (string, error) {
	if dir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("no --data-dir given and no user cache dir: %w", err)
		}
		dir = filepath.Join(cache, "v1sync")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", fmt.Errorf("data dir: %w", err)
	}
	return dir, nil
}

// listenAddr maps "host:port" to the embedded server's Host/Port, where
// port 0 means a free port (-1 to nats-server) and "none" no listener.
func listenAddr(addr string) (string, int, error) {
	if addr == "none" || addr == "" {
		return "", 0, nil
	}
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("--listen %q: %w", addr, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("--listen %q: bad port", addr)
	}
	if port == 0 {
		port = -1
	}
	return host, port, nil
}

// portFree fails fast with advice when the embedded server's port is taken;
// nats-server itself would only report "not ready" after its start timeout.
func portFree(host string, port int) error {
	if port <= 0 {
		return nil
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("embedded nats: %w (another v1sync or NATS server? set --listen 127.0.0.1:0 for any free port, or --nats-url to use that server)", err)
	}
	return ln.Close()
}

// redactURLs returns the comma-separated server URLs with any user
// information (tokens, passwords) replaced, for logs and errors.
func redactURLs(urls string) string {
	out := ""
	for i, u := range strings.Split(urls, ",") {
		if i > 0 {
			out += ","
		}
		out += redactURL(u)
	}
	return out
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparseable NATS URL>"
	}
	if u.User != nil {
		u.User = url.User("REDACTED")
	}
	return u.String()
}

// redactErr renders err without the secret parts of urls, in case the
// library quotes the URL it was given.
func redactErr(err error, urls string) error {
	msg := err.Error()
	for _, u := range strings.Split(urls, ",") {
		if p, perr := url.Parse(u); perr == nil && p.User != nil {
			msg = strings.ReplaceAll(msg, p.User.String(), "REDACTED")
			if pw, ok := p.User.Password(); ok && pw != "" {
				msg = strings.ReplaceAll(msg, pw, "REDACTED")
			}
		}
	}
	return errors.New(msg)
}
