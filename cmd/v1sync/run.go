package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

func init() {
	register(command{name: "run", summary: "run pipeline stages: all registered ones, or those named with --stage", run: runRun})
}

type runOptions struct {
	nats      natsOptions
	stages    stageList
	httpAddr  string
	provision bool
	shutdown  time.Duration
}

func (r *runOptions) register(fs *flag.FlagSet) {
	r.nats.register(fs)
	fs.Var(&r.stages, "stage", "run only this stage; repeat for several (default: every registered stage: "+describe(knownStages())+")")
	fs.StringVar(&r.httpAddr, "http-addr", "", "health and metrics address (default :8080, or 127.0.0.1:8080 with the embedded server)")
	fs.BoolVar(&r.provision, "provision", false, "provision the topology before starting (always done with the embedded server)")
	fs.DurationVar(&r.shutdown, "shutdown-timeout", 25*time.Second, "on SIGTERM, how long to wait for in-flight work before exiting")
}

func runRun(ctx context.Context, c *cli, args []string) error {
	var ro runOptions
	fs := c.flagSet("run")
	ro.register(fs)
	if err := c.parse(fs, args); err != nil {
		return err
	}
	names, err := selectStages(ro.stages)
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
		if _, err := provision(ctx, conn, ro.nats, log); err != nil {
			return err
		}
	}
	deps := stageDeps{NC: conn.NC, JS: conn.JS, Topology: ro.nats.topology(),
		Durability: conn.Durability, Log: log, Env: c.getenv}
	workers, err := buildStages(names, deps)
	if err != nil {
		return err
	}
	return serve(ctx, ro, conn, workers, log)
}

// stageWorker is one running stage of the process.
type stageWorker struct {
	name string
	run  func(ctx context.Context) error
}

// buildStages constructs every selected stage before any starts, so a
// configuration error fails the process at once.
func buildStages(names []string, d stageDeps) ([]stageWorker, error) {
	var out []stageWorker
	for _, n := range names {
		d.Log = d.Log.With().Str("stage", n).Logger()
		w, err := buildStage(n, d)
		if err != nil {
			return nil, fmt.Errorf("stage %s: %w", n, err)
		}
		out = append(out, w)
	}
	return out, nil
}

func buildStage(name string, d stageDeps) (stageWorker, error) {
	if b, ok := sourceBuilders[name]; ok {
		src, err := b(d)
		if err != nil {
			return stageWorker{}, err
		}
		return stageWorker{name: name, run: src.Run}, nil
	}
	st, err := stageBuilders[name](d)
	if err != nil {
		return stageWorker{}, err
	}
	_ = st
	return stageWorker{}, errors.New("the stage runner is not wired into this build yet")
}

// serve runs the stages and the health server until ctx is cancelled or a
// stage fails, then shuts down within the configured bound.
func serve(ctx context.Context, ro runOptions, conn *natsConn, workers []stageWorker, log zerolog.Logger) error {
	addr := ro.httpAddr
	if addr == "" {
		addr = ":8080"
		if conn.Embedded != nil {
			addr = "127.0.0.1:8080"
		}
	}
	ready := func() error {
		if !conn.NC.IsConnected() {
			return errors.New("NATS not connected")
		}
		return nil
	}
	hs, err := serveHealth(addr, ready, log)
	if err != nil {
		return err
	}
	defer hs.Stop(5 * time.Second)
	if len(workers) == 0 {
		log.Warn().Msg("no stages are registered in this build: serving health only")
	}
	stageCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	failed := make(chan error, len(workers))
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(func() {
			log.Info().Str("stage", w.name).Msg("stage started")
			if err := w.run(stageCtx); err != nil {
				failed <- fmt.Errorf("stage %s: %w", w.name, err)
			}
		})
	}
	var runErr error
	select {
	case <-ctx.Done():
		log.Info().Dur("timeout", ro.shutdown).Msg("signal received: shutting down")
	case runErr = <-failed:
		log.Error().Err(runErr).Msg("stage failed: shutting down")
	}
	cancel()
	if !waitTimeout(&wg, ro.shutdown) {
		return fmt.Errorf("stages did not stop within %s", ro.shutdown)
	}
	log.Info().Msg("stopped")
	return runErr
}

// waitTimeout waits for wg up to d and reports whether it finished.
func waitTimeout(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}
