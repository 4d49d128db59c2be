package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/ingest"
	"github.com/linuxfoundation/v1sync/stages/v1change"
	"github.com/linuxfoundation/v1sync/stages/walbridge"
	"github.com/linuxfoundation/v1sync/streams"
)

// Ingest-stage settings. The stage captures v1 changes either natively from
// PostgreSQL (the default) or, at sites that already run wal-listener, by
// bridging its stream.
const (
	envIngestSource      = "V1SYNC_INGEST_SOURCE" // "postgres" (default) or "wal-listener"
	envIngestSlot        = "V1SYNC_INGEST_SLOT"
	envIngestPublication = "V1SYNC_INGEST_PUBLICATION"
	envIngestHeartbeat   = "V1SYNC_INGEST_HEARTBEAT"

	ingestSourcePostgres    = "postgres"
	ingestSourceWALListener = "wal-listener"
)

func init() { registerSource(streams.StageIngest, buildIngest) }

func buildIngest(d stageDeps) (source, error) {
	tables, err := v1Tables(d.Env, "")
	if err != nil {
		return nil, err
	}
	switch mode := d.Env(envIngestSource); mode {
	case "", ingestSourcePostgres:
		return buildCapture(d, tables)
	case ingestSourceWALListener:
		return buildBridge(d, tables)
	default:
		return nil, fmt.Errorf("%s=%q: want %q or %q", envIngestSource, mode, ingestSourcePostgres, ingestSourceWALListener)
	}
}

func buildCapture(d stageDeps, tables []v1change.Table) (source, error) {
	cfg := ingest.DefaultConfig()
	dsn, err := v1DSN(d.Env, "")
	if err != nil {
		return nil, err
	}
	if dsn == "" {
		return nil, notConfigured("the v1 database is required: set %s or %s for native capture, or %s=%s to bridge wal-listener", envV1DSN, envV1DSNFile, envIngestSource, ingestSourceWALListener)
	}
	cfg.DSN = dsn
	cfg.Tables, cfg.Partitions, cfg.Durability = tables, d.Topology.Partitions, d.Durability
	if v := d.Env(envIngestSlot); v != "" {
		cfg.Slot = v
	}
	if v := d.Env(envIngestPublication); v != "" {
		cfg.Publication = v
	}
	if v := d.Env(envIngestHeartbeat); v != "" {
		hb, err := time.ParseDuration(v)
		if err != nil || hb < 0 {
			return nil, fmt.Errorf("%s=%q: want a duration (0 disables)", envIngestHeartbeat, v)
		}
		cfg.HeartbeatInterval = hb
	}
	return ingest.New(cfg, d.JS, ingest.WithLogger(d.Log), ingest.WithMeterProvider(d.Meters))
}

// bridgeSource runs the wal-listener bridge stage on its own consumer of
// wal-listener's stream, which the topology does not own.
type bridgeSource struct {
	d      stageDeps
	runner *pipeline.Runner
}

func buildBridge(d stageDeps, tables []v1change.Table) (source, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	state, err := d.JS.KeyValue(ctx, streams.BucketState)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", streams.BucketState, err)
	}
	cfg := walbridge.DefaultConfig()
	cfg.Tables, cfg.Partitions = tables, d.Topology.Partitions
	st, err := walbridge.New(cfg, state)
	if err != nil {
		return nil, err
	}
	rc := pipeline.DefaultConfig()
	rc.AckWait = d.Topology.AckWait
	opts := []pipeline.Option{pipeline.WithLogger(d.Log)}
	if d.Meters != nil {
		opts = append(opts, pipeline.WithMeterProvider(d.Meters))
	}
	r, err := pipeline.NewRunner(rc, st, d.JS, opts...)
	if err != nil {
		return nil, err
	}
	return &bridgeSource{d: d, runner: r}, nil
}

func (b *bridgeSource) Run(ctx context.Context) error {
	if _, err := streams.ProvisionWALBridge(ctx, b.d.JS, b.d.Topology); err != nil {
		return err
	}
	cons, err := b.d.JS.Consumer(ctx, streams.WALListenerStream, streams.StageWALBridge)
	if err != nil {
		return fmt.Errorf("consumer %s/%s: %w", streams.WALListenerStream, streams.StageWALBridge, err)
	}
	return b.runner.Run(ctx, cons)
}

func (b *bridgeSource) Ready() error {
	if b.runner == nil {
		return errors.New("bridge not built")
	}
	return b.runner.Ready()
}
