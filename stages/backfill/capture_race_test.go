package backfill_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/linuxfoundation/v1sync/stages/backfill"
	"github.com/linuxfoundation/v1sync/stages/ingest"
	"github.com/linuxfoundation/v1sync/stages/v1change"
	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/streams/embedded"
	"github.com/linuxfoundation/v1sync/test/natstest"
)

// The same race as TestBackfillRacingLiveChangesEndsEqualToDatabase, with
// the live path being native capture of real SQL updates and deletes.
func TestBackfillRacingNativeCaptureEndsEqualToDatabase(t *testing.T) {
	w := newWorld(t)
	tbl, _ := v1change.Find(v1change.DefaultTables(), "platform", "community__c")
	w.pg.Exec(t, `INSERT INTO platform.community__c (sfid, name, role__c, systemmodstamp, lastmodifieddate)
		SELECT 'a0Ecap'||lpad(i::text, 12, '0'), 'CM-C'||i, 'seed', '2025-02-01', '2025-02-01' FROM generate_series(1, 1500) i`)
	var maxID int
	w.pg.QueryValue(t, &maxID, `SELECT max(id) FROM platform.community__c`)
	w.startNormalize()
	startCapture(t, w, tbl)

	cfg := backfill.DefaultConfig()
	cfg.Full = true
	cfg.Tables = []v1change.Table{tbl}
	cfg.ChunkSize = 25
	ctx := context.Background()
	deleted := map[string]bool{}
	stop := make(chan struct{})
	liveDone := make(chan error, 1)
	go func() {
		rng := rand.New(rand.NewPCG(3, 4))
		for n := 0; ; n++ {
			select {
			case <-stop:
				liveDone <- nil
				return
			default:
			}
			id := 2 + rng.IntN(maxID-1) // id 1 is the marker row
			if rng.IntN(4) > 0 {
				_, err := w.pg.Pool.Exec(ctx, `UPDATE platform.community__c SET role__c = 'live', systemmodstamp = clock_timestamp() WHERE id = $1`, id)
				if err != nil {
					liveDone <- err
					return
				}
				continue
			}
			var sfid string
			err := w.pg.Pool.QueryRow(ctx, `DELETE FROM platform.community__c WHERE id = $1 RETURNING sfid`, id).Scan(&sfid)
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				liveDone <- err
				return
			}
			if err == nil {
				deleted[v1change.ObjectKey(tbl.Schema, tbl.Name, sfid)] = true
			}
		}
	}()
	res := w.backfill(cfg)
	close(stop)
	if err := <-liveDone; err != nil {
		t.Fatal(err)
	}
	// Capture publishes in commit order: once the last change is in
	// v1-objects, every earlier one has been published.
	var markerKey string
	w.pg.QueryValue(t, &markerKey, `UPDATE platform.community__c SET role__c = 'marker', systemmodstamp = clock_timestamp() WHERE id = 1 RETURNING 'platform-community__c.'||sfid`)
	kv := w.nats.KV(t, streams.BucketObjects)
	natstest.Eventually(t, 60*time.Second, "the last captured change in v1-objects", func() bool {
		row := getRow(t, kv, markerKey)
		return row != nil && row["role__c"] == "marker"
	})
	w.waitNormalized()
	t.Logf("backfill read %d rows while %d rows were deleted and others updated live", res.Tables[0].Read, len(deleted))
	w.assertObjectsEqualDatabase(tbl, deleted)
}

func startCapture(t *testing.T, w *world, tbl v1change.Table) {
	cfg := ingest.DefaultConfig()
	cfg.DSN = w.pg.DSN
	cfg.Tables = []v1change.Table{tbl}
	cfg.Durability = embedded.DefaultConfig(t.TempDir()).Durability()
	cfg.StatusInterval = 100 * time.Millisecond
	src, err := ingest.New(cfg, w.nats.JS, ingest.WithLogger(zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = src.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	natstest.Eventually(t, 30*time.Second, "capture streaming", func() bool { return src.Ready() == nil })
}
