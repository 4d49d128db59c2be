package pipeline

import (
	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Option adjusts a Runner beyond its Config: where it logs, traces and
// counts.
type Option func(*options)

type options struct {
	log          zerolog.Logger
	meters       metric.MeterProvider
	tracers      trace.TracerProvider
	afterPublish func(*Message)
}

func defaultOptions() options {
	return options{log: zerolog.Nop(), meters: otel.GetMeterProvider(), tracers: otel.GetTracerProvider()}
}

// WithLogger logs through log (see NewLogger); the default discards.
func WithLogger(log zerolog.Logger) Option { return func(o *options) { o.log = log } }

// WithMeterProvider records metrics there; the default is otel's global one.
func WithMeterProvider(mp metric.MeterProvider) Option { return func(o *options) { o.meters = mp } }

// WithTracerProvider records spans there; the default is otel's global one.
func WithTracerProvider(tp trace.TracerProvider) Option { return func(o *options) { o.tracers = tp } }

// withAfterPublish runs hook once every output of a message is PubAck'd and
// before the input is acked. Tests use it to crash a process in that gap.
func withAfterPublish(hook func(*Message)) Option { return func(o *options) { o.afterPublish = hook } }
