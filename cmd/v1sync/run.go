package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/linuxfoundation/v1sync/pipeline"
)

func init() {
	register(command{name: "run", summary: "run pipeline stages: all registered ones, or those named with --stage", run: runRun})
}

type runOptions struct {
	nats      natsOptions
	stages    stageList
	httpAddr  string
	provision bool
	group     bool
	workers   int
	shutdown  time.Duration
}

func (r *runOptions) register(fs *flag.FlagSet) {
	r.nats.register(fs)
	fs.Var(&r.stages, "stage", "run only this stage; repeat for several (default: every registered stage: "+describe(knownStages())+")")
	fs.StringVar(&r.httpAddr, "http-addr", "", "health and metrics address (default :8080, or 127.0.0.1:8080 with the embedded server)")
	fs.BoolVar(&r.provision, "provision", false, "provision the topology before starting (always done with the embedded server)")
	fs.BoolVar(&r.group, "group", false, "run consumer stages as members of their consumer group, so several processes can share a stage (provision --group-stages first)")
	fs.IntVar(&r.workers, "workers", 0, "concurrent handlers per stage (different keys); 0: each stage's own default")
	fs.DurationVar(&r.shutdown, "shutdown-timeout", 25*time.Second, "on SIGTERM, how long to wait for in-flight work before exiting")
}

func runRun(ctx context.Context, c *cli, args []string) error {
	ro, names, err := parseRun(c, args)
	if err != nil {
		return err
	}
	log, err := c.logger(ro.nats.LogLevel)
	if err != nil {
		return err
	}
	// Connect first: with the embedded server its start is the first log line.
	conn, err := connectNATS(ctx, ro.nats, log)
	if err != nil {
		return err
	}
	defer conn.Close()
	if conn.Embedded != nil || ro.provision {
		if err := provisionForRun(ctx, conn, ro, names, log); err != nil {
			return err
		}
	}
	mp, metrics, err := pipeline.NewPrometheus()
	if err != nil {
		return err
	}
	defer func() { _ = mp.Shutdown(context.Background()) }()
	deps := stageDeps{NC: conn.NC, JS: conn.JS, Topology: ro.nats.topology(),
		Durability: conn.Durability, Log: log, Meters: mp, Env: c.getenv}
	health := pipeline.NewHealth(conn.NC, metrics)
	workers, err := buildStages(names, deps, ro, health)
	if err != nil {
		return err
	}
	return serve(ctx, ro, conn, health, workers, log)
}

// parseRun reads run's flags and resolves the stages to run, before
// anything starts.
func parseRun(c *cli, args []string) (runOptions, []string, error) {
	var ro runOptions
	fs := c.flagSet("run")
	ro.register(fs)
	if err := c.parse(fs, args); err != nil {
		return ro, nil, err
	}
	if ro.shutdown < time.Second || ro.workers < 0 {
		return ro, nil, usageErrorf("--shutdown-timeout %s, --workers %d: want at least 1s and 0 or more", ro.shutdown, ro.workers)
	}
	names, err := selectStages(ro.stages)
	return ro, names, err
}

// provisionForRun provisions the topology, and the consumer groups of the
// selected stages in group mode.
func provisionForRun(ctx context.Context, conn *natsConn, ro runOptions, names []string, log zerolog.Logger) error {
	if _, err := provision(ctx, conn, ro.nats, log); err != nil {
		return err
	}
	if !ro.group {
		return nil
	}
	var grouped []string
	for _, n := range names {
		if _, ok := ro.nats.topology().Group(n); ok {
			grouped = append(grouped, n)
		}
	}
	_, err := provisionGroups(ctx, conn, ro.nats, grouped, log)
	return err
}

// serve runs the stages and the health server until ctx is cancelled or a
// stage fails, then shuts down within the configured bound.
func serve(ctx context.Context, ro runOptions, conn *natsConn, h *pipeline.Health, workers []stageWorker, log zerolog.Logger) error {
	addr := ro.httpAddr
	if addr == "" {
		addr = ":8080"
		if conn.Embedded != nil {
			addr = "127.0.0.1:8080"
		}
	}
	hs, err := serveHealth(addr, h, log)
	if err != nil {
		return err
	}
	defer hs.Stop(2 * time.Second)
	if len(workers) == 0 {
		log.Warn().Msg("no stages are registered in this build: serving health only")
	}
	stageCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, len(workers))
	for _, w := range workers {
		go func() {
			log.Info().Str(pipeline.FieldStage, w.name).Str(pipeline.FieldMode, w.mode).Msg("stage starting")
			err := w.run(stageCtx)
			if err != nil {
				err = fmt.Errorf("stage %s: %w", w.name, err)
			}
			done <- err
		}()
	}
	var runErr error
	remaining := len(workers)
	select {
	case <-ctx.Done():
		log.Info().Dur(pipeline.FieldTimeout, ro.shutdown).Msg("signal received: shutting down")
	case runErr = <-done:
		if runErr == nil {
			runErr = errors.New("a stage stopped by itself")
		}
		log.Error().Err(runErr).Msg("stage ended: shutting down")
		remaining--
	}
	cancel()
	return errors.Join(runErr, waitStages(done, remaining, ro.shutdown, log))
}

// waitStages collects n stage results, giving up after bound.
func waitStages(done <-chan error, n int, bound time.Duration, log zerolog.Logger) error {
	deadline := time.After(bound)
	var errs []error
	for range n {
		select {
		case err := <-done:
			if err != nil {
				log.Warn().Err(err).Msg("stage stopped with an error")
				errs = append(errs, err)
			}
		case <-deadline:
			return errors.Join(append(errs, fmt.Errorf("stages did not stop within %s", bound))...)
		}
	}
	log.Info().Msg("stopped")
	return errors.Join(errs...)
}
