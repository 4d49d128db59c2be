package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/streams"
)

// stageWorker is one stage of the process, ready to run.
type stageWorker struct {
	name string
	mode string // "consumer", "group" or "source"
	run  func(ctx context.Context) error
}

// buildStages constructs every selected stage before any starts, so a
// configuration error fails the process at once.
// Without --stage, a stage that is not configured is skipped with a warning.
func buildStages(names []string, d stageDeps, ro runOptions, h *pipeline.Health) ([]stageWorker, error) {
	var out []stageWorker
	base := d.Log
	for _, n := range names {
		d.Log = base.With().Str(pipeline.FieldStage, n).Logger()
		w, err := buildStage(n, d, ro, h, base)
		if err != nil && len(ro.stages) == 0 && errors.Is(err, errNotConfigured) {
			d.Log.Warn().Err(err).Msg("stage skipped: not configured (name it with --stage to make this an error)")
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("stage %s: %w", n, err)
		}
		out = append(out, w)
	}
	return out, nil
}

// readier is implemented by sources that can say why they are not ready.
type readier interface{ Ready() error }

// The stage's own logger carries its name; the runner and the group member
// get base, since they add the name themselves.
func buildStage(name string, d stageDeps, ro runOptions, h *pipeline.Health, base zerolog.Logger) (stageWorker, error) {
	if b, ok := sourceBuilders[name]; ok {
		src, err := b(d)
		if err != nil {
			return stageWorker{}, err
		}
		if r, ok := src.(readier); ok {
			h.Add(name, r.Ready)
		}
		return stageWorker{name: name, mode: "source", run: src.Run}, nil
	}
	st, err := stageBuilders[name](d)
	if err != nil {
		return stageWorker{}, err
	}
	if st.Name() != name {
		return stageWorker{}, fmt.Errorf("registered as %q but names itself %q", name, st.Name())
	}
	if spec, ok := d.Topology.Group(name); ok && ro.group {
		return groupWorker(st, spec, d, ro, h, base)
	}
	return consumerWorker(st, d, ro, h, base)
}

// stageRunnerConfigs holds the runner defaults of stages tuned for their
// load (set in stage_<name>.go); the others get pipeline.DefaultConfig.
var stageRunnerConfigs = map[string]func() pipeline.Config{}

// runnerConfig is the stage's runner default tuned by the run flags; the
// runner gets most of the shutdown bound, the rest covers closing the
// connection.
func runnerConfig(stage string, ro runOptions, ackWait time.Duration) pipeline.Config {
	cfg := pipeline.DefaultConfig()
	if tuned, ok := stageRunnerConfigs[stage]; ok {
		cfg = tuned()
	}
	if ro.workers > 0 {
		cfg.Workers = ro.workers
		cfg.MaxHeld = max(cfg.MaxHeld, ro.workers)
	}
	cfg.AckWait = ackWait
	cfg.ShutdownTimeout = ro.shutdown * 4 / 5
	return cfg
}

// consumerWorker feeds the stage from its durable consumer: one process per
// stage, or several sharing the consumer without cross-process key order.
func consumerWorker(st pipeline.Stage, d stageDeps, ro runOptions, h *pipeline.Health, log zerolog.Logger) (stageWorker, error) {
	spec, ok := consumerOf(d.Topology, st.Name())
	if !ok {
		return stageWorker{}, errors.New("the topology declares no consumer for it")
	}
	r, err := pipeline.NewRunner(runnerConfig(st.Name(), ro, spec.Config.AckWait), st, d.JS,
		pipeline.WithLogger(log), pipeline.WithMeterProvider(d.Meters))
	if err != nil {
		return stageWorker{}, err
	}
	h.Add(st.Name(), r.Ready)
	run := func(ctx context.Context) error {
		cons, err := d.JS.Consumer(ctx, spec.Stream, spec.Config.Durable)
		if err != nil {
			return fmt.Errorf("consumer %s/%s: %w (run v1sync provision)", spec.Stream, spec.Config.Durable, err)
		}
		return r.Run(ctx, cons)
	}
	return stageWorker{name: st.Name(), mode: "consumer", run: run}, nil
}

// groupWorker makes this process a member of the stage's consumer group, so
// that a key is handled by one process at a time across pods.
func groupWorker(st pipeline.Stage, spec streams.GroupSpec, d stageDeps, ro runOptions, h *pipeline.Health, log zerolog.Logger) (stageWorker, error) {
	gc := pipeline.DefaultGroupConfig()
	gc.Stream, gc.Stage, gc.Log = spec.Stream, spec.Stage, log
	gc.MaxDeliver = d.Topology.MaxDeliver
	cfg := runnerConfig(st.Name(), ro, gc.AckWait)
	gc.Prefetch = cfg.PullMaxMessages
	gc.MaxAckPending = cfg.MaxHeld + gc.Prefetch
	// Leaving the group drains the runner first, so it needs the longer bound.
	cfg.ShutdownTimeout = ro.shutdown * 3 / 5
	gc.LeaveTimeout = ro.shutdown * 4 / 5
	r, err := pipeline.NewRunner(cfg, st, d.JS, pipeline.WithLogger(log), pipeline.WithMeterProvider(d.Meters))
	if err != nil {
		return stageWorker{}, err
	}
	h.Add(st.Name(), r.Ready)
	run := func(ctx context.Context) error { return pipeline.RunGroup(ctx, d.JS, gc, r) }
	return stageWorker{name: st.Name(), mode: "group", run: run}, nil
}

func consumerOf(topo streams.Config, stage string) (streams.ConsumerSpec, bool) {
	for _, c := range topo.Consumers() {
		if c.Config.Durable == stage {
			return c, true
		}
	}
	return streams.ConsumerSpec{}, false
}
