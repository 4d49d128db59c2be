package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/metric"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/streams"
)

// stageDeps is what a stage constructor gets from the process.
type stageDeps struct {
	NC       *nats.Conn
	JS       jetstream.JetStream
	Topology streams.Config
	// Durability is how long after its PubAck a message may still be lost
	// to a power failure: the server's sync interval, zero under sync
	// always. The capture stage confirms WAL only past durable changes.
	Durability time.Duration
	Log        zerolog.Logger
	// Meters is the process's metrics (served on /metrics).
	Meters metric.MeterProvider
	// Env reads a stage-specific setting (V1SYNC_<STAGE>_...).
	Env func(string) string
}

// errNotConfigured marks a stage that lacks required settings (a v2 URL, a
// signing key, a database). `run` without --stage skips such a stage with a
// warning, so that the stages that can run on a laptop do; a stage named
// with --stage fails instead. Build it with notConfigured.
var errNotConfigured = errors.New("not configured")

// notConfigured reports missing settings, e.g.
// notConfigured("set %s or %s", envKeyFile, envKeyPEM).
func notConfigured(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errNotConfigured, fmt.Sprintf(format, args...))
}

// stageBuilder builds a stage that a pipeline.Runner feeds from the stage's
// durable consumer (streams.Config.Consumers).
type stageBuilder func(stageDeps) (pipeline.Stage, error)

// source is a stage not fed by a JetStream consumer, such as PostgreSQL
// capture. Run returns when ctx is cancelled (nil) or on a fatal error.
type source interface {
	Run(ctx context.Context) error
}

type sourceBuilder func(stageDeps) (source, error)

var (
	stageBuilders  = map[string]stageBuilder{}
	sourceBuilders = map[string]sourceBuilder{}
)

// registerStage adds a consumer-fed stage; called from init functions in
// stage_<name>.go.
func registerStage(name string, b stageBuilder) {
	mustBeNew(name)
	stageBuilders[name] = b
}

// registerSource adds a stage that produces messages from outside NATS.
func registerSource(name string, b sourceBuilder) {
	mustBeNew(name)
	sourceBuilders[name] = b
}

func mustBeNew(name string) {
	_, s := stageBuilders[name]
	_, src := sourceBuilders[name]
	if s || src {
		panic("v1sync: stage registered twice: " + name)
	}
}

// knownStages lists every registered stage name, sorted.
func knownStages() []string {
	var names []string
	for n := range stageBuilders {
		names = append(names, n)
	}
	for n := range sourceBuilders {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// selectStages returns the stages to run: all when none are named, or the
// named ones, which must all be registered.
func selectStages(named []string) ([]string, error) {
	known := knownStages()
	if len(named) == 0 {
		return known, nil
	}
	var out []string
	for _, n := range named {
		if !slices.Contains(known, n) {
			return nil, usageErrorf("unknown stage %q; known stages: %s", n, describe(known))
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

func describe(names []string) string {
	if len(names) == 0 {
		return "none (this build registers no stages)"
	}
	return strings.Join(names, ", ")
}
