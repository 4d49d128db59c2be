package backfill_test

import (
	"context"
	"testing"

	"github.com/linuxfoundation/v1sync/stages/backfill"
	"github.com/linuxfoundation/v1sync/stages/v1change"
	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
	"github.com/linuxfoundation/v1sync/test/pgtest"
)

const benchRows = 200_000

// BenchmarkBackfill200k measures a full backfill of 200,000 project rows
// into V1_CHANGES (read, encode, publish, PubAck, checkpoint), reported as
// rows/s. Run with -benchtime=1x -count=5 and take the median.
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
	b.ResetTimer()
	for range b.N {
		bf, err := backfill.New(cfg, pg.Pool, env.NC)
		if err != nil {
			b.Fatal(err)
		}
		res, err := bf.Run(context.Background())
		if err != nil || res.Tables[0].Read != benchRows {
			b.Fatalf("run: %v, %+v", err, res)
		}
		b.StopTimer()
		if err := stream.Purge(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
