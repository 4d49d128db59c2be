package backfill_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/stages/backfill"
	"github.com/linuxfoundation/v1sync/stages/v1change"
	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
	"github.com/linuxfoundation/v1sync/test/pgtest"
)

const benchRows = 200_000

// BenchmarkBackfill200k measures a full backfill of 200,000 project rows
// into V1_CHANGES (read, encode, publish, PubAck, checkpoint) as rows/s,
// next to a baseline measured in the same iteration: publishing 200,000
// pre-encoded messages of the same size the same way (async, two chunks in
// flight), i.e. the transport's ceiling on this machine at this moment;
// of-baseline is the backfill's share of it. cpu-us/row is the backfill
// process's CPU per row, embedded server included.
// Run: go test -run '^$' -bench Backfill200k -benchtime=1x -count=5 ./stages/backfill/
func BenchmarkBackfill200k(b *testing.B) {
	pg := pgtest.Start(b, pgtest.WithoutSample())
	env := natstest.Start(b)
	env.Provision(b, streams.Config{})
	if _, err := pg.Pool.Exec(context.Background(), `INSERT INTO salesforce.project__c
		(sfid, name, slug__c, description__c, project_status__c, category__c, createddate, lastmodifieddate, systemmodstamp, isdeleted, _hc_lastop)
		SELECT 'a09B'||lpad(i::text, 14, '0'), 'Project '||i, 'project-'||i, repeat('a long description ', 8),
		       'Active', 'Project', timestamp '2025-01-06' + i * interval '1 second',
		       timestamp '2025-03-06' + i * interval '1 second', timestamp '2025-03-06' + i * interval '1 second', false, 'SYNCED'
		FROM generate_series(1, $1) i`, benchRows); err != nil {
		b.Fatal(err)
	}
	tbl, _ := v1change.Find(v1change.DefaultTables(), "salesforce", "project__c")
	cfg := backfill.DefaultConfig()
	cfg.Full = true
	cfg.Tables = []v1change.Table{tbl}
	stream, err := env.JS.Stream(context.Background(), streams.V1Changes)
	if err != nil {
		b.Fatal(err)
	}
	// Each iteration runs the backfill (timed) and then the baseline
	// (untimed), so the two see the same machine load.
	var cpu, baseline time.Duration
	for range b.N {
		before := cpuTime()
		bf, err := backfill.New(cfg, pg.Pool, env.NC)
		if err != nil {
			b.Fatal(err)
		}
		res, err := bf.Run(context.Background())
		if err != nil || res.Tables[0].Read != benchRows {
			b.Fatalf("run: %v, %+v", err, res)
		}
		cpu += cpuTime() - before
		b.StopTimer()
		info, err := stream.Info(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		size := int(info.State.Bytes / info.State.Msgs)
		purge(b, stream)
		started := time.Now()
		publishBaseline(b, env.NC, size, cfg.ChunkSize)
		baseline += time.Since(started)
		purge(b, stream)
		b.StartTimer()
	}
	rows := float64(benchRows * b.N)
	b.ReportMetric(rows/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(rows/baseline.Seconds(), "baseline-rows/s")
	b.ReportMetric(baseline.Seconds()/b.Elapsed().Seconds(), "of-baseline")
	b.ReportMetric(float64(cpu.Microseconds())/rows, "cpu-us/row")
}

func purge(b *testing.B, stream jetstream.Stream) {
	if err := stream.Purge(context.Background()); err != nil {
		b.Fatal(err)
	}
}

func publishBaseline(b *testing.B, nc *nats.Conn, size, chunk int) {
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(2*chunk))
	if err != nil {
		b.Fatal(err)
	}
	body := make([]byte, size)
	run := time.Now().Format("150405.000000")
	var prev []jetstream.PubAckFuture
	for start := 0; start < benchRows; start += chunk {
		cur := make([]jetstream.PubAckFuture, 0, chunk)
		for i := start; i < start+chunk && i < benchRows; i++ {
			key := fmt.Sprintf("salesforce-project__c.a09B%014d", i)
			m := &nats.Msg{Subject: streams.V1ChangeSubject("salesforce", "project__c", key, 16), Data: body, Header: nats.Header{}}
			m.Header.Set(streams.HeaderKey, key)
			f, err := js.PublishMsgAsync(m, jetstream.WithMsgID(fmt.Sprintf("%s:%d", run, i)))
			if err != nil {
				b.Fatal(err)
			}
			cur = append(cur, f)
		}
		wait(b, prev)
		prev = cur
	}
	wait(b, prev)
}

func wait(b *testing.B, futures []jetstream.PubAckFuture) {
	for _, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			b.Fatal(err)
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
