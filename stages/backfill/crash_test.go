package backfill_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/stages/backfill"
	"github.com/linuxfoundation/v1sync/stages/v1change"
	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
)

const (
	childEnv         = "V1SYNC_BACKFILL_CHILD"
	childNATSEnv     = "V1SYNC_BACKFILL_CHILD_NATS"
	childDSNEnv      = "V1SYNC_BACKFILL_CHILD_DSN"
	crashChunk       = 50
	chunksBeforeKill = 2
)

func crashConfig() backfill.Config {
	tbl, _ := v1change.Find(v1change.DefaultTables(), "platform", "community__c")
	cfg := backfill.DefaultConfig()
	cfg.Full = true
	cfg.Tables = []v1change.Table{tbl}
	cfg.ChunkSize = crashChunk
	return cfg
}

// stallAfter blocks the run forever once n chunks are checkpointed, so the
// parent kills it at a known point.
type stallAfter struct{ n, seen int }

func (s *stallAfter) Table(string, int64, int64) {}
func (s *stallAfter) Finish()                    {}
func (s *stallAfter) Advance(int) {
	if s.seen++; s.seen >= s.n {
		select {}
	}
}

// TestBackfillChild is the process the crash test kills.
func TestBackfillChild(t *testing.T) {
	if os.Getenv(childEnv) != "1" {
		t.Skip("child role of TestBackfillResumesAfterKill")
	}
	nc, err := nats.Connect(os.Getenv(childNATSEnv))
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(context.Background(), os.Getenv(childDSNEnv))
	if err != nil {
		t.Fatal(err)
	}
	b, err := backfill.New(crashConfig(), pool, nc, backfill.WithProgress(&stallAfter{n: chunksBeforeKill}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Run(context.Background())
	t.Fatalf("child run returned: %v", err)
}

// A backfill SIGKILLed midway resumes its run from the last finished chunk:
// finished chunks are not read again, and V1_CHANGES holds every row once.
func TestBackfillResumesAfterKill(t *testing.T) {
	w := newWorld(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestBackfillChild$")
	cmd.Env = append(os.Environ(), childEnv+"=1", childNATSEnv+"="+w.nats.URL, childDSNEnv+"="+w.pg.DSN)
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	state := w.nats.KV(t, streams.BucketState)
	natstest.Eventually(t, 60*time.Second, "the child to checkpoint two chunks", func() bool {
		return checkpointedChunks(state) >= chunksBeforeKill
	})
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if strings.Contains(out.String(), "child run returned") {
		t.Fatalf("child finished before the kill:\n%s", out.String())
	}

	var total int64
	w.pg.QueryValue(t, &total, `SELECT count(*) FROM platform.community__c`)
	res := w.backfill(crashConfig())
	done := int64(chunksBeforeKill * crashChunk)
	if !res.Resumed || res.Tables[0].Read != total-done {
		t.Fatalf("resumed %v, read %d rows; want a resumed run reading the %d rows after the %d finished ones",
			res.Resumed, res.Tables[0].Read, total-done, done)
	}
	var keyed uint64
	w.pg.QueryValue(t, &keyed, `SELECT count(*) FROM platform.community__c WHERE sfid IS NOT NULL`)
	if got := w.changesStored(); got != keyed {
		t.Errorf("V1_CHANGES holds %d reads, want one per keyed row (%d)", got, keyed)
	}
	if checkpointedChunks(state) != -1 {
		t.Error("the finished run is still marked active")
	}
}

// checkpointedChunks reads the active run's chunk count from v1sync-state;
// -1 when no run is active.
func checkpointedChunks(state jetstream.KeyValue) int64 {
	ctx := context.Background()
	e, err := state.Get(ctx, "backfill.active")
	if err != nil {
		return -1
	}
	e, err = state.Get(ctx, "backfill.run."+string(e.Value()))
	if err != nil {
		return -1
	}
	var cp struct {
		Progress map[string]struct{ Chunks int64 } `json:"progress"`
	}
	_ = json.Unmarshal(e.Value(), &cp)
	var n int64
	for _, p := range cp.Progress {
		n += p.Chunks
	}
	return n
}
