package pipeline

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// instrumentation scope of the runtime's spans and metrics.
const scope = "github.com/linuxfoundation/v1sync/pipeline"

// telemetry holds one stage's tracer and instruments. Attributes stay
// low-cardinality: stage, cause, outcome; never key or subject.
type telemetry struct {
	stage        string
	tracer       trace.Tracer
	stageAttr    metric.MeasurementOption
	received     metric.Int64Counter
	succeeded    metric.Int64Counter
	retries      metric.Int64Counter
	deadLettered metric.Int64Counter
	handedBack   metric.Int64Counter
	latency      metric.Float64Histogram
	inFlightN    metric.Int64UpDownCounter
}

func newTelemetry(stage string, o options) (*telemetry, error) {
	m := o.meters.Meter(scope)
	t := &telemetry{stage: stage, tracer: o.tracers.Tracer(scope),
		stageAttr: metric.WithAttributes(attribute.String("stage", stage))}
	var errs [7]error
	t.received, errs[0] = m.Int64Counter("pipeline.received", metric.WithDescription("messages delivered to the stage"))
	t.succeeded, errs[1] = m.Int64Counter("pipeline.succeeded", metric.WithDescription("messages acked after their outputs were stored"))
	t.retries, errs[2] = m.Int64Counter("pipeline.retried", metric.WithDescription("retries, by cause (handler, publish)"))
	t.deadLettered, errs[3] = m.Int64Counter("pipeline.dead_lettered", metric.WithDescription("messages sent to the DLQ"))
	t.handedBack, errs[4] = m.Int64Counter("pipeline.handed_back", metric.WithDescription("messages naked back at shutdown or while the breaker is open"))
	t.latency, errs[5] = m.Float64Histogram("pipeline.handle.duration", metric.WithUnit("s"),
		metric.WithDescription("time spent in the stage's Handle"))
	t.inFlightN, errs[6] = m.Int64UpDownCounter("pipeline.in_flight", metric.WithDescription("messages held by the runner"))
	return t, errors.Join(errs[:]...)
}

func (t *telemetry) countReceived() { t.received.Add(context.Background(), 1, t.stageAttr) }

func (t *telemetry) retried(_ *held, cause string) {
	t.retries.Add(context.Background(), 1, t.stageAttr, metric.WithAttributes(attribute.String("cause", cause)))
}

func (t *telemetry) handled(ctx context.Context, d time.Duration) {
	t.latency.Record(ctx, d.Seconds(), t.stageAttr)
}

func (t *telemetry) inFlight(delta int64) { t.inFlightN.Add(context.Background(), delta, t.stageAttr) }

func (t *telemetry) settled(_ *held, o outcome) {
	switch o {
	case outcomeSucceeded:
		t.succeeded.Add(context.Background(), 1, t.stageAttr)
	case outcomeDeadLettered:
		t.deadLettered.Add(context.Background(), 1, t.stageAttr)
	case outcomeHandedBack:
		t.handedBack.Add(context.Background(), 1, t.stageAttr)
	}
}
