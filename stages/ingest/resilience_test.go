package ingest

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
	"github.com/linuxfoundation/v1sync/test/pgtest"
)

// WAL written outside the captured tables must not stay pinned by the slot:
// idle keepalives confirm it once nothing is in flight.
func TestIdleSlotFollowsWAL(t *testing.T) {
	r := newRig(t, pgtest.WithoutSample())
	r.start()
	r.db.Exec(t, `CREATE TABLE public.noise (id serial PRIMARY KEY, filler text)`)
	r.db.Exec(t, `INSERT INTO public.noise (filler) SELECT repeat('x', 200) FROM generate_series(1, 5000)`)
	var lsnNow string
	r.db.QueryValue(t, &lsnNow, `SELECT pg_current_wal_insert_lsn()::text`)
	natstest.Eventually(t, 30*time.Second, "slot confirmed past the uncaptured WAL", func() bool {
		var past bool
		r.db.QueryValue(t, &past, `SELECT confirmed_flush_lsn >= $1::pg_lsn FROM pg_replication_slots WHERE slot_name = $2`, lsnNow, r.cfg.Slot)
		return past
	})
	if n := r.storedCount(); n != 0 {
		t.Fatalf("%d events published for an uncaptured table", n)
	}
}

// A failed publish ends the session; the change is re-read from the slot,
// never skipped.
func TestPublishFailureRestartsFromSlot(t *testing.T) {
	r := newRigSync(t, 0, pgtest.WithoutSample())
	src := r.start()
	r.db.Exec(t, `INSERT INTO salesforce.merged_user (sfid, username__c) VALUES ('0035e0000Zz4TestAA', 'one')`)
	r.waitEvents(1)
	ctx := context.Background()
	if err := r.env.JS.DeleteStream(ctx, streams.V1Changes); err != nil {
		t.Fatal(err)
	}
	r.db.Exec(t, `INSERT INTO salesforce.merged_user (sfid, username__c) VALUES ('0035e0000Zz5TestAA', 'two')`)
	natstest.Eventually(t, 30*time.Second, "session ended by the failed publish", func() bool { return src.Ready() != nil })
	r.env.Provision(t, streams.Config{})
	evs := r.waitEvents(1)
	if len(evs) != 1 || evs[0].Data["username__c"] != "two" {
		t.Fatalf("after the stream came back: %d events, first %v", len(evs), evs)
	}
}

func TestMetricsAreExported(t *testing.T) {
	r := newRigSync(t, 0, pgtest.WithoutSample())
	reader := metric.NewManualReader()
	src, err := New(r.cfg, r.env.JS, WithMeterProvider(metric.NewMeterProvider(metric.WithReader(reader))))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = src.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	natstest.Eventually(t, 30*time.Second, "streaming", func() bool { return src.Ready() == nil })
	r.db.Exec(t, `INSERT INTO salesforce.merged_user (sfid, username__c) VALUES ('0035e0000Zz6TestAA', 'm')`)
	r.waitEvents(1)
	seen := map[string]bool{}
	natstest.Eventually(t, 30*time.Second, "published, latency and lag metrics", func() bool {
		var rm metricdata.ResourceMetrics
		if err := reader.Collect(ctx, &rm); err != nil {
			t.Fatal(err)
		}
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				seen[m.Name] = true
			}
		}
		return seen["v1sync_ingest_changes_published"] && seen["v1sync_ingest_commit_to_puback_seconds"] && seen["v1sync_ingest_slot_lag_bytes"]
	})
}

// Heartbeats write logical messages on an otherwise idle database, so the
// server's keepalives advance and the slot follows (TestIdleSlotFollowsWAL
// shows the following). A test_decoding slot makes the messages visible.
func TestHeartbeatsAreEmitted(t *testing.T) {
	r := newRig(t, pgtest.WithoutSample())
	r.db.Exec(t, `SELECT pg_create_logical_replication_slot('heartbeat_probe', 'test_decoding')`)
	r.cfg.HeartbeatInterval = 200 * time.Millisecond
	r.start()
	natstest.Eventually(t, 30*time.Second, "a heartbeat message in the WAL", func() bool {
		var n int
		r.db.QueryValue(t, &n, `SELECT count(*) FROM pg_logical_slot_peek_changes('heartbeat_probe', NULL, NULL) WHERE data LIKE '%'||$1||'%'`, HeartbeatPrefix)
		return n > 0
	})
}
