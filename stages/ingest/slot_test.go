package ingest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pglogrepl"

	"github.com/linuxfoundation/v1sync/test/natstest"
	"github.com/linuxfoundation/v1sync/test/pgtest"
)

// With a 5 s fsync interval a PubAck'd change is not yet on disk: the slot
// must not be confirmed past it until the interval (plus margin) has passed.
func TestSlotTrailsUntilChangesAreDurable(t *testing.T) {
	const interval = 5 * time.Second
	r := newRigSync(t, interval, pgtest.WithoutSample())
	r.cfg.HeartbeatInterval = 0 // only our write moves the WAL
	r.start()
	natstest.Eventually(t, 30*time.Second, "initial confirmation", func() bool {
		lsn, _ := r.slotLag()
		return lsn != ""
	})
	r.db.Exec(t, `INSERT INTO salesforce.merged_user (sfid, username__c) VALUES ('0035e0000Zz2TestAA', 'wren')`)
	var end string
	r.db.QueryValue(t, &end, `SELECT pg_current_wal_insert_lsn()::text`)
	target, err := pglogrepl.ParseLSN(end)
	if err != nil {
		t.Fatal(err)
	}
	r.waitEvents(1)
	stored := time.Now()
	confirmedPast := func() bool {
		lsn, _ := r.slotLag()
		c, err := pglogrepl.ParseLSN(lsn)
		return err == nil && c >= target
	}
	if confirmedPast() {
		lsn, _ := r.slotLag()
		t.Fatalf("slot confirmed (%s) past a change (%s) JetStream has not fsynced yet", lsn, target)
	}
	natstest.Eventually(t, 3*interval, "slot catching up after the sync interval", confirmedPast)
	if waited := time.Since(stored); waited < interval-time.Second {
		t.Fatalf("slot confirmed %s after the PubAck, before the %s sync interval", waited, interval)
	}
}

// A slot that vanished after use is reported, never recreated over the gap.
func TestMissingSlotIsReportedNotRecreated(t *testing.T) {
	r := newRig(t, pgtest.WithoutSample())
	ctx, cancel := context.WithCancel(context.Background())
	src, err := New(r.cfg, r.env.JS)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = src.Run(ctx) }()
	natstest.Eventually(t, 30*time.Second, "streaming", func() bool { return src.Ready() == nil })
	r.db.Exec(t, `INSERT INTO salesforce.merged_user (sfid, username__c) VALUES ('0035e0000Zz3TestAA', 'finch')`)
	r.waitEvents(1)
	cancel()
	<-done
	natstest.Eventually(t, 30*time.Second, "walsender gone", func() bool {
		var active bool
		r.db.QueryValue(t, &active, `SELECT active FROM pg_replication_slots WHERE slot_name = $1`, r.cfg.Slot)
		return !active
	})
	r.db.Exec(t, `SELECT pg_drop_replication_slot($1)`, r.cfg.Slot)

	again, err := New(r.cfg, r.env.JS)
	if err != nil {
		t.Fatal(err)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	done2 := make(chan struct{})
	go func() { defer close(done2); _ = again.Run(ctx2) }()
	t.Cleanup(func() { cancel2(); <-done2 })
	natstest.Eventually(t, 30*time.Second, "slot loss reported", func() bool {
		err := again.Ready()
		return err != nil && strings.Contains(err.Error(), "backfill") && again.metrics.slotMissing.Load() == 1
	})
	var n int
	r.db.QueryValue(t, &n, `SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1`, r.cfg.Slot)
	if n != 0 {
		t.Fatal("slot was recreated over a gap")
	}
	// The operator's recovery: recreate the slot (then backfill); ingest
	// adopts it and streams again.
	r.db.Exec(t, `SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, r.cfg.Slot)
	natstest.Eventually(t, 30*time.Second, "streaming on the recreated slot", func() bool {
		return again.Ready() == nil && again.metrics.slotMissing.Load() == 0
	})
}
