package ingest

import (
	"context"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
)

// metrics of the capture. Instruments are created once per Source.
type metrics struct {
	published   metric.Int64Counter
	unresolved  metric.Int64Counter
	ackLatency  metric.Float64Histogram
	slotLag     atomic.Int64 // bytes, -1 when unknown
	slotMissing atomic.Int64 // 1 when the slot is missing or invalidated
	confirmed   atomic.Uint64
}

func newMetrics(mp metric.MeterProvider) (*metrics, error) {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	m := &metrics{}
	m.slotLag.Store(-1)
	meter := mp.Meter("github.com/linuxfoundation/v1sync/stages/ingest")
	var err error
	if m.published, err = meter.Int64Counter("v1sync_ingest_changes_published",
		metric.WithDescription("changes stored in V1_CHANGES (PubAck received)")); err != nil {
		return nil, err
	}
	if m.unresolved, err = meter.Int64Counter("v1sync_ingest_deletes_unresolved",
		metric.WithDescription("deletes published without a v1-objects key (no key column, no id index entry)")); err != nil {
		return nil, err
	}
	if m.ackLatency, err = meter.Float64Histogram("v1sync_ingest_commit_to_puback_seconds",
		metric.WithDescription("PostgreSQL commit to JetStream PubAck"), metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)); err != nil {
		return nil, err
	}
	lag, err := meter.Int64ObservableGauge("v1sync_ingest_slot_lag_bytes",
		metric.WithDescription("pg_current_wal_lsn() - confirmed_flush_lsn of the slot"), metric.WithUnit("By"))
	if err != nil {
		return nil, err
	}
	missing, err := meter.Int64ObservableGauge("v1sync_ingest_slot_missing",
		metric.WithDescription("1 while the replication slot is missing or invalidated: run a backfill"))
	if err != nil {
		return nil, err
	}
	_, err = meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		if v := m.slotLag.Load(); v >= 0 {
			o.ObserveInt64(lag, v)
		}
		o.ObserveInt64(missing, m.slotMissing.Load())
		return nil
	}, lag, missing)
	return m, err
}
