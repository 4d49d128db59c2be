package main

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/normalize"
	"github.com/linuxfoundation/v1sync/streams"
)

func init() {
	registerStage(streams.StageNormalize, buildNormalize)
	stageRunnerConfigs[streams.StageNormalize] = normalize.RunnerConfig
}

func buildNormalize(d stageDeps) (pipeline.Stage, error) {
	cfg := normalize.DefaultConfig()
	tables, err := v1Tables(d.Env, "")
	if err != nil {
		return nil, err
	}
	cfg.Tables = tables
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	kv, err := d.JS.KeyValue(ctx, streams.BucketObjects)
	if err != nil {
		return nil, fmt.Errorf("normalize: open %s: %w", streams.BucketObjects, err)
	}
	st, err := normalize.New(cfg, kv)
	if err != nil {
		return nil, err
	}
	if d.Meters != nil {
		if err := observeNormalizeCounts(d.Meters, st); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// observeNormalizeCounts exports the stage's outcomes (written, skipped-*,
// truncate-ignored, cas-conflict, ...) as normalize.outcomes{outcome}.
func observeNormalizeCounts(mp metric.MeterProvider, st *normalize.Stage) error {
	m := mp.Meter("github.com/linuxfoundation/v1sync/stages/normalize")
	_, err := m.Int64ObservableCounter("normalize.outcomes",
		metric.WithDescription("what the normalize stage did with each change, by outcome"),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			for outcome, n := range st.Counts() {
				o.Observe(n, metric.WithAttributes(attribute.String("outcome", outcome)))
			}
			return nil
		}))
	return err
}
