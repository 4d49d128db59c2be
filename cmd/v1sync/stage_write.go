package main

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/write"
	"github.com/linuxfoundation/v1sync/streams"
)

// Write-stage settings (the v2 and Heimdall ones are in v2client.go).
const (
	envWriteSkipNotifications = "V1SYNC_WRITE_SKIP_MEMBER_NOTIFICATIONS"
	envWriteMaxStaleRetries   = "V1SYNC_WRITE_MAX_STALE_RETRIES"
	envWriteConflictRetry     = "V1SYNC_WRITE_CONFLICT_RETRY_AFTER"
	envWriteClaimLease        = "V1SYNC_WRITE_CLAIM_LEASE"
)

func init() { registerStage(streams.StageWrite, buildWrite) }

func buildWrite(d stageDeps) (pipeline.Stage, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := write.DefaultConfig()
	if err := setBool(d, envWriteSkipNotifications, &cfg.SkipMemberNotifications); err != nil {
		return nil, err
	}
	if err := setInt(d, envWriteMaxStaleRetries, &cfg.MaxStaleRetries); err != nil {
		return nil, err
	}
	if err := setDuration(d, envWriteConflictRetry, &cfg.ConflictRetryAfter); err != nil {
		return nil, err
	}
	if err := setDuration(d, envWriteClaimLease, &cfg.ClaimLease); err != nil {
		return nil, err
	}
	v2, err := newV2Client(ctx, d)
	if err != nil {
		return nil, err
	}
	mappings, err := d.JS.KeyValue(ctx, streams.BucketMappings)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", streams.BucketMappings, err)
	}
	state, err := d.JS.KeyValue(ctx, streams.BucketState)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", streams.BucketState, err)
	}
	// The v1 API client (reverse-sync work) will provide the SSO write-back.
	log := d.Log
	st, err := write.New(cfg, write.Deps{V2: v2, Mappings: mappings, State: state, Log: &log})
	if err != nil {
		return nil, err
	}
	if d.Meters != nil {
		if err := observeWriteStats(d.Meters, st); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// observeWriteStats exports the stage's outcome counters as write.outcomes{outcome}.
func observeWriteStats(mp metric.MeterProvider, st *write.Stage) error {
	m := mp.Meter("github.com/linuxfoundation/v1sync/stages/write")
	_, err := m.Int64ObservableCounter("write.outcomes",
		metric.WithDescription("what the write stage did with its intents, by outcome"),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			s := st.Stats()
			for outcome, n := range map[string]int64{
				"created": s.Created, "adopted": s.Adopted, "updated": s.Updated, "unchanged": s.Unchanged,
				"deleted": s.Deleted, "already_gone": s.AlreadyGone, "stale_dropped": s.StaleDropped,
				"tombstone_skipped": s.TombstoneSkipped, "etag_retry": s.ETagRetries,
				"sso_write_back_failed": s.SSOWriteBackFailed,
			} {
				o.Observe(n, metric.WithAttributes(attribute.String("outcome", outcome)))
			}
			return nil
		}))
	return err
}
