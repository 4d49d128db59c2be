package ingest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/linuxfoundation/v1sync/stages/v1change"
	"github.com/linuxfoundation/v1sync/test/natstest"
	"github.com/linuxfoundation/v1sync/test/pgtest"
)

// Environment of the re-executed child process (tests only; the product
// reads no environment outside cmd/).
const (
	childEnv           = "V1SYNC_INGEST_CHILD"
	childDSNEnv        = "V1SYNC_INGEST_CHILD_DSN"
	childNATSEnv       = "V1SYNC_INGEST_CHILD_NATS"
	childDurabilityEnv = "V1SYNC_INGEST_CHILD_DURABILITY"
)

// TestIngestChild is the ingest process the crash test kills; it only runs
// when re-executed by that test.
func TestIngestChild(t *testing.T) {
	if os.Getenv(childEnv) != "1" {
		t.Skip("child process of TestIngestSurvivesSIGKILL")
	}
	nc, err := nats.Connect(os.Getenv(childNATSEnv))
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(os.Getenv(childDSNEnv))
	if cfg.Durability, err = time.ParseDuration(os.Getenv(childDurabilityEnv)); err != nil {
		t.Fatal(err)
	}
	src, err := New(cfg, js, WithLogger(zerolog.New(os.Stderr).With().Timestamp().Logger()))
	if err != nil {
		t.Fatal(err)
	}
	_ = src.Run(context.Background()) // until SIGKILL
}

const (
	crashRows    = 2500 // each inserted, then updated: 5,000 changes
	crashBatch   = 10
	crashMinKill = 5
)

func TestIngestSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test")
	}
	r := newRig(t, pgtest.WithoutSample())
	kv := r.runNormalize()
	logs := t.TempDir()
	var kills atomic.Int64
	spawn := func(n int) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestIngestChild$", "-test.v")
		cmd.Env = append(os.Environ(), childEnv+"=1", childDSNEnv+"="+r.db.DSN, childNATSEnv+"="+r.env.URL,
			childDurabilityEnv+"="+r.cfg.Durability.String())
		f, err := os.Create(filepath.Join(logs, "child-"+strconv.Itoa(n)+".log"))
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = f, f
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	child := spawn(0)
	natstest.Eventually(t, 60*time.Second, "slot created by the first child", func() bool {
		var n int
		r.db.QueryValue(t, &n, `SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1`, r.cfg.Slot)
		return n == 1
	})

	written := make(chan error, 1)
	go func() { written <- writeCrashLoad(r.db) }()
	// Kill each child at a random moment after it has stored something, so
	// that every kill lands mid-stream, until everything is stored.
	var progress []uint64 // events stored at each kill
	for n := 1; ; n++ {
		before := r.storedCount()
		natstest.Eventually(t, 60*time.Second, "child storing changes", func() bool {
			c := r.storedCount()
			return c > before || c >= 2*crashRows
		})
		if r.storedCount() >= 2*crashRows && kills.Load() >= crashMinKill {
			break
		}
		time.Sleep(time.Duration(rand.IntN(300)) * time.Millisecond) // a random kill moment, not a synchronisation
		_ = child.Process.Kill()                                     // SIGKILL
		_ = child.Wait()
		kills.Add(1)
		progress = append(progress, r.storedCount())
		child = spawn(n)
	}
	t.Cleanup(func() { _ = child.Process.Kill(); _ = child.Wait() })
	if err := <-written; err != nil {
		t.Fatal(err)
	}

	natstest.Eventually(t, 120*time.Second, "all 5,000 changes in V1_CHANGES", func() bool { return r.storedCount() >= 2*crashRows })
	evs := r.events()
	seen := map[string]bool{}
	perRow := map[string]int{}
	for _, ev := range evs {
		if seen[ev.ID] {
			t.Fatalf("change %s stored twice", ev.ID)
		}
		seen[ev.ID] = true
		perRow[ev.Key]++
	}
	if len(evs) != 2*crashRows || len(perRow) != crashRows {
		t.Fatalf("stored %d events for %d rows, want %d for %d", len(evs), len(perRow), 2*crashRows, crashRows)
	}
	for k, c := range perRow {
		if c != 2 {
			t.Fatalf("%s: %d changes stored, want 2", k, c)
		}
	}
	natstest.Eventually(t, 60*time.Second, "v1-objects equal to the database", func() bool {
		return objectsMatch(t, r, kv)
	})
	natstest.Eventually(t, 60*time.Second, "slot lag near zero", func() bool {
		_, lag := r.slotLag()
		return lag < 64*1024
	})
	t.Logf("%d SIGKILLs during %d changes; events stored at each kill: %v", kills.Load(), 2*crashRows, progress)
}

// writeCrashLoad inserts crashRows email rows and then updates each once, in
// transactions of crashBatch statements.
func writeCrashLoad(db *pgtest.DB) error {
	ctx := context.Background()
	for phase := 0; phase < 2; phase++ {
		for i := 0; i < crashRows; i += crashBatch {
			b := &pgx.Batch{}
			for j := i; j < i+crashBatch; j++ {
				if phase == 0 {
					b.Queue(`INSERT INTO salesforce.alternate_email__c (sfid, alternate_email_address__c, lastmodifieddate, systemmodstamp)
						VALUES ($1, $2, '2026-07-01 10:00:00', '2026-07-01 10:00:00')`, crashSfid(j), fmt.Sprintf("u%d@example.org", j))
				} else {
					b.Queue(`UPDATE salesforce.alternate_email__c SET alternate_email_address__c = $2, lastmodifieddate = '2026-07-02 10:00:00', systemmodstamp = '2026-07-02 10:00:00' WHERE sfid = $1`,
						crashSfid(j), fmt.Sprintf("v%d@example.org", j))
				}
			}
			if err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error { return tx.SendBatch(ctx, b).Close() }); err != nil {
				return err
			}
		}
	}
	return nil
}

func crashSfid(i int) string { return fmt.Sprintf("a0F3t%013d", i) }

// objectsMatch compares every row's address in v1-objects with the database.
func objectsMatch(t *testing.T, r *rig, kv jetstream.KeyValue) bool {
	rows, err := r.db.Pool.Query(context.Background(), `SELECT sfid, alternate_email_address__c FROM salesforce.alternate_email__c`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var sfid, addr string
		if err := rows.Scan(&sfid, &addr); err != nil {
			t.Fatal(err)
		}
		row := object(t, kv, v1change.ObjectKey("salesforce", "alternate_email__c", sfid))
		if row == nil || row["alternate_email_address__c"] != addr {
			return false
		}
	}
	return true
}
