package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/idmap"
	"github.com/linuxfoundation/v1sync/stages/ingest"
	"github.com/linuxfoundation/v1sync/stages/mapids"
	"github.com/linuxfoundation/v1sync/stages/normalize"
	"github.com/linuxfoundation/v1sync/stages/v1users"
	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/pgtest"
	v2sim "github.com/linuxfoundation/v1sync/test/sim/v2"
	"github.com/linuxfoundation/v1sync/test/v1data"
)

// demoDatabase is the v1 database the demo creates in its cluster.
const demoDatabase = "v1"

// demoStack is everything the demo runs in this process: NATS, PostgreSQL,
// the v2 simulator and the ingest, normalize, map and write stages.
type demoStack struct {
	log      zerolog.Logger
	natsDir  string
	pgDir    string
	opts     natsOptions
	conn     *natsConn
	pg       *pgtest.Cluster
	pool     *pgxpool.Pool
	sim      *v2sim.Sim
	reader   *sdkmetric.ManualReader
	meters   *sdkmetric.MeterProvider
	capture  *ingest.Source
	norm     *normalize.Stage
	mapStage *mapids.Stage
	ids      *idmap.IDMap
	runners  []*pipeline.Runner

	cancelStages context.CancelFunc
	stages       sync.WaitGroup
	stageErrs    chan error
}

// startDemoStack starts every part; on error it stops what it started.
func startDemoStack(ctx context.Context, log zerolog.Logger) (_ *demoStack, err error) {
	s := &demoStack{log: log, stageErrs: make(chan error, 8)}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if err = s.startNATS(ctx); err != nil {
		return nil, err
	}
	if err = s.startPostgres(ctx); err != nil {
		return nil, err
	}
	simCfg := v2sim.DefaultConfig()
	simCfg.Addr = "127.0.0.1:0"
	simCfg.EventDelay = v2sim.Delay{Max: 50 * time.Millisecond}
	if s.sim, err = v2sim.Start(ctx, s.conn.NC, simCfg); err != nil {
		return nil, fmt.Errorf("v2 simulator: %w", err)
	}
	s.reader = sdkmetric.NewManualReader()
	s.meters = sdkmetric.NewMeterProvider(sdkmetric.WithReader(s.reader))
	return s, s.startStages(ctx)
}

func (s *demoStack) startNATS(ctx context.Context) error {
	var err error
	if s.natsDir, err = os.MkdirTemp("", "v1sync-demo-nats-"); err != nil {
		return err
	}
	def := streams.DefaultConfig()
	s.opts = natsOptions{DataDir: s.natsDir, Listen: "none", Sync: syncSetting{Interval: time.Second},
		Replicas: def.Replicas, Partitions: 4}
	if s.conn, err = connectNATS(ctx, s.opts, s.log); err != nil {
		return err
	}
	_, err = provision(ctx, s.conn, s.opts, s.log)
	return err
}

// startPostgres runs a throwaway cluster loaded with the v1 schema and the
// sample rows. Its directory is its own temp dir: as root the server runs as
// an unprivileged user, who must be able to reach it.
func (s *demoStack) startPostgres(ctx context.Context) error {
	var err error
	if s.pgDir, err = os.MkdirTemp("", "v1sync-demo-pg-"); err != nil {
		return err
	}
	if s.pg, err = pgtest.StartCluster(s.pgDir); err != nil {
		return err
	}
	if err = s.pg.CreateDatabase(ctx, demoDatabase); err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, s.pg.DSN(demoDatabase))
	if err != nil {
		return fmt.Errorf("connect to the demo database: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, v1data.Schema); err != nil {
		return fmt.Errorf("load %s: %w", v1data.SchemaFile, err)
	}
	if _, err := conn.Exec(ctx, v1data.Sample); err != nil {
		return fmt.Errorf("load %s: %w", v1data.SampleFile, err)
	}
	s.pool, err = pgxpool.New(ctx, s.pg.DSN(demoDatabase))
	return err
}

// demoEnv is the stage settings the demo would otherwise read from the
// environment: the simulator's URLs and signing key, the database.
func (s *demoStack) demoEnv(name string) string {
	pa, ca := s.sim.Audiences()
	return map[string]string{
		envV1DSN:                  s.pg.DSN(demoDatabase),
		envIngestHeartbeat:        "2s",
		envProjectURL:             s.sim.ProjectURL(),
		envCommitteeURL:           s.sim.CommitteeURL(),
		envProjectAudience:        pa,
		envCommitteeAudience:      ca,
		envHeimdallJWKSURL:        s.sim.JWKSURL(),
		envHeimdallKeyPEM:         string(s.sim.SigningKeyPEM()),
		envV2Timeout:              "5s",
		envWriteSkipNotifications: "true",
	}[name]
}

func (s *demoStack) deps() stageDeps {
	return stageDeps{NC: s.conn.NC, JS: s.conn.JS, Topology: s.opts.topology(), Durability: s.conn.Durability,
		Log: s.log, Meters: s.meters, Env: s.demoEnv}
}

// startStages builds the four stages and runs them until Close.
func (s *demoStack) startStages(ctx context.Context) error {
	d := s.deps()
	src, err := buildIngest(d)
	if err != nil {
		return fmt.Errorf("stage ingest: %w", err)
	}
	s.capture = src.(*ingest.Source)
	objects, err := s.conn.JS.KeyValue(ctx, streams.BucketObjects)
	if err != nil {
		return err
	}
	mappings, err := s.conn.JS.KeyValue(ctx, streams.BucketMappings)
	if err != nil {
		return err
	}
	s.ids = idmap.New(mappings)
	if s.norm, err = normalize.New(normalize.DefaultConfig(), objects); err != nil {
		return fmt.Errorf("stage normalize: %w", err)
	}
	// Rows whose parent never lands (the sample has some) give up after a
	// few seconds instead of the production five minutes.
	mcfg := mapids.DefaultConfig()
	mcfg.Partitions = d.Topology.Partitions
	mcfg.ParentRetryBase, mcfg.ParentRetryMax, mcfg.ParentMaxDeliveries = 200*time.Millisecond, time.Second, 8
	emails, err := v1users.NewEmails(v1users.DefaultConfig(), s.pool)
	if err != nil {
		return err
	}
	if s.mapStage, err = mapids.New(mcfg, mapids.Deps{Objects: objects, IDs: s.ids, NC: s.conn.NC, Log: s.log, Emails: emails}); err != nil {
		return fmt.Errorf("stage map: %w", err)
	}
	wr, err := buildWrite(d)
	if err != nil {
		return fmt.Errorf("stage write: %w", err)
	}
	runners := make(map[pipeline.Stage]*pipeline.Runner)
	for _, st := range []pipeline.Stage{s.norm, s.mapStage, wr} {
		if runners[st], err = pipeline.NewRunner(demoRunnerConfig(), st, s.conn.JS,
			pipeline.WithLogger(s.log), pipeline.WithMeterProvider(s.meters)); err != nil {
			return fmt.Errorf("stage %s: %w", st.Name(), err)
		}
	}
	stageCtx, cancel := context.WithCancel(context.Background())
	s.cancelStages = cancel
	s.goStage(streams.StageIngest, func() error { return s.capture.Run(stageCtx) })
	for st, r := range runners {
		spec, _ := consumerOf(d.Topology, st.Name())
		cons, err := s.conn.JS.Consumer(ctx, spec.Stream, spec.Config.Durable)
		if err != nil {
			return fmt.Errorf("consumer %s: %w", spec.Config.Durable, err)
		}
		s.runners = append(s.runners, r)
		s.goStage(st.Name(), func() error { return r.Run(stageCtx, cons) })
	}
	return nil
}

// demoRunnerConfig retries transient failures quickly: the demo's faults
// are the sample rows' own, and it has a minute. The sample dead-letters
// many rows by design (a burst of parent-unmapped at the end of the
// backfill), which must not trip the DLQ breaker for the live phase.
func demoRunnerConfig() pipeline.Config {
	cfg := pipeline.DefaultConfig()
	cfg.Breaker.MaxShare = 1
	cfg.MaxDeliveries = 8
	cfg.Backoff.Initial, cfg.Backoff.Max = 50*time.Millisecond, time.Second
	cfg.ShutdownTimeout = 5 * time.Second
	return cfg
}

func (s *demoStack) goStage(name string, run func() error) {
	s.stages.Add(1)
	go func() {
		defer s.stages.Done()
		if err := run(); err != nil && !errors.Is(err, context.Canceled) {
			s.stageErrs <- fmt.Errorf("stage %s: %w", name, err)
		}
	}()
}

// stageFailure returns the first error a stage stopped with, if any.
func (s *demoStack) stageFailure() error {
	select {
	case err := <-s.stageErrs:
		return err
	default:
		return nil
	}
}

// Close stops the stages, the simulator, PostgreSQL and NATS, and removes
// the temp directories. It reports what it could not clean up.
func (s *demoStack) Close() []string {
	var problems []string
	if s.cancelStages != nil {
		s.cancelStages()
		done := make(chan struct{})
		go func() { s.stages.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			problems = append(problems, "stages did not stop within 10s")
		}
	}
	if s.sim != nil {
		_ = s.sim.Close()
	}
	if s.pool != nil {
		s.pool.Close()
	}
	if s.meters != nil {
		_ = s.meters.Shutdown(context.Background())
	}
	if s.conn != nil {
		s.conn.Close()
	}
	if s.pg != nil {
		if err := s.pg.Stop(); err != nil {
			problems = append(problems, "PostgreSQL: "+err.Error())
		}
	}
	for _, dir := range []string{s.natsDir, s.pgDir} {
		if dir != "" {
			if err := os.RemoveAll(dir); err != nil {
				problems = append(problems, "remove "+filepath.Base(dir)+": "+err.Error())
			}
		}
	}
	return problems
}
