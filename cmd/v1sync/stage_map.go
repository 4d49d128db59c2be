package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/idmap"
	"github.com/linuxfoundation/v1sync/stages/mapids"
	"github.com/linuxfoundation/v1sync/streams"
)

// Map-stage settings.
const (
	// envClientID is v1sync's client id in v1; rows last modified by
	// "<id>@clients" are v1sync's own writes and are not synced back.
	envClientID               = "V1SYNC_CLIENT_ID"
	envMapParentMaxDeliveries = "V1SYNC_MAP_PARENT_MAX_DELIVERIES"
	envMapParentRetryMax      = "V1SYNC_MAP_PARENT_RETRY_MAX"
	envMapRootSlug            = "V1SYNC_MAP_ROOT_SLUG"
	mapBucketOpenTimeout      = 30 * time.Second
)

// The map stage is fed by its durable consumer on KV_v1-objects. The ID-map
// lookup responder is its own component ("lookup") so it can be scaled or
// left out independently; it runs in every process that selects it (all
// stages by default), and its queue group spreads requests across them.
func init() {
	registerStage(streams.StageMap, buildMap)
	registerSource(streams.StageLookup, buildLookup)
}

func buildMap(d stageDeps) (pipeline.Stage, error) {
	cfg := mapids.DefaultConfig()
	cfg.Partitions = d.Topology.Partitions
	if v := d.Env(envClientID); v != "" {
		cfg.ClientID = v
	}
	if v := d.Env(envMapRootSlug); v != "" {
		cfg.RootSlug = v
	}
	if v := d.Env(envMapParentMaxDeliveries); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n == 0 {
			return nil, fmt.Errorf("%s=%q: want a positive integer", envMapParentMaxDeliveries, v)
		}
		cfg.ParentMaxDeliveries = n
	}
	if v := d.Env(envMapParentRetryMax); v != "" {
		p, err := time.ParseDuration(v)
		if err != nil || p <= 0 {
			return nil, fmt.Errorf("%s=%q: want a positive duration", envMapParentRetryMax, v)
		}
		cfg.ParentRetryMax = p
	}
	ctx, cancel := context.WithTimeout(context.Background(), mapBucketOpenTimeout)
	defer cancel()
	objects, err := d.JS.KeyValue(ctx, streams.BucketObjects)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", streams.BucketObjects, err)
	}
	mappings, err := d.JS.KeyValue(ctx, streams.BucketMappings)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", streams.BucketMappings, err)
	}
	emails, err := v1Emails(d)
	if err != nil {
		return nil, err
	}
	st, err := mapids.New(cfg, mapids.Deps{Objects: objects, IDs: idmap.New(mappings), NC: d.NC, Log: d.Log, Emails: emails})
	if err != nil {
		return nil, err
	}
	if d.Meters != nil {
		if err := observeMapStats(d.Meters, st.Stats()); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// observeMapStats exports the stage's outcome counters as map.outcomes{outcome}.
func observeMapStats(mp metric.MeterProvider, stats *mapids.Stats) error {
	m := mp.Meter("github.com/linuxfoundation/v1sync/stages/mapids")
	_, err := m.Int64ObservableCounter("map.outcomes",
		metric.WithDescription("what the map stage did with its inputs, by outcome"),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			s := stats.Snapshot()
			for outcome, n := range map[string]uint64{
				"upsert": s.Intents - s.Deletes, "delete": s.Deletes, "loop_guarded": s.LoopGuarded,
				"pass_through": s.PassThrough, "unknown_prefix": s.UnknownPrefix, "empty": s.Empty,
				"skipped": s.Skipped, "parent_wait": s.ParentWaits,
			} {
				o.Observe(int64(n), metric.WithAttributes(attribute.String("outcome", outcome)))
			}
			return nil
		}))
	return err
}

// lookupResponder serves lfx.lookup_v1_mapping until its context ends.
type lookupResponder struct {
	d         stageDeps
	ids       *idmap.IDMap
	listening atomic.Bool
}

func buildLookup(d stageDeps) (source, error) {
	ctx, cancel := context.WithTimeout(context.Background(), mapBucketOpenTimeout)
	defer cancel()
	mappings, err := d.JS.KeyValue(ctx, streams.BucketMappings)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", streams.BucketMappings, err)
	}
	return &lookupResponder{d: d, ids: idmap.New(mappings)}, nil
}

func (l *lookupResponder) Run(ctx context.Context) error {
	sub, err := idmap.Listen(l.d.NC, l.ids)
	if err != nil {
		return err
	}
	l.listening.Store(true)
	l.d.Log.Info().Str(pipeline.FieldSubject, streams.SubjectLookupMapping).Msg("answering ID-map lookups")
	<-ctx.Done()
	l.listening.Store(false)
	return sub.Drain()
}

// Ready reports whether lookups are being answered.
func (l *lookupResponder) Ready() error {
	if !l.listening.Load() || !l.d.NC.IsConnected() {
		return errors.New("not answering lookups")
	}
	return nil
}
