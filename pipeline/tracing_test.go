package pipeline_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
)

// The trace of an input continues in its outputs and its dead letter,
// whichever spelling of the traceparent header the producer used.
func TestTraceContextFlowsToOutputs(t *testing.T) {
	const (
		lowerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
		canonTrace = "0af7651916cd43dd8448eb211c80319c"
	)
	env := setup(t, true)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	st := stageFunc{name: "traced", fn: func(ctx context.Context, in *pipeline.Message) ([]*pipeline.Message, error) {
		if string(in.Data) == "die" {
			return nil, pipeline.Permanent(errors.New("die"))
		}
		return passThrough(ctx, in) // copies the input's trace header too
	}}
	start(t, env, testConfig(), st, pipeline.WithTracerProvider(tp))
	publish(t, env.JS, "in.lower", "", []byte("x"), nats.Header{"traceparent": {"00-" + lowerTrace + "-00f067aa0ba902b7-01"}})
	publish(t, env.JS, "in.canon", "", []byte("x"), nats.Header{"Traceparent": {"00-" + canonTrace + "-b7ad6b7169203331-01"}})
	publish(t, env.JS, "in.dead", "", []byte("die"), nats.Header{"traceparent": {"00-" + lowerTrace + "-00f067aa0ba902b7-01"}})
	natstest.Eventually(t, 10*time.Second, "inputs settled", func() bool { return settledAll(t, env.JS) })

	traceOf := map[string]string{}
	for _, m := range storedMsgs(t, env.JS, outStream) {
		traceOf[m.Subject] = traceparent(t, m.Header)
	}
	for _, m := range storedMsgs(t, env.JS, streams.DLQ) {
		traceOf["dlq"] = traceparent(t, m.Header)
	}
	want := map[string]string{"out.in.lower": lowerTrace, "out.in.canon": canonTrace, "dlq": lowerTrace}
	for subj, trace := range want {
		tp := traceOf[subj]
		if !strings.HasPrefix(tp, "00-"+trace+"-") {
			t.Errorf("%s: traceparent %q, want trace %s", subj, tp, trace)
		}
		if strings.Contains(tp, "00f067aa0ba902b7") || strings.Contains(tp, "b7ad6b7169203331") {
			t.Errorf("%s: traceparent %q names the input's span, not the handle span", subj, tp)
		}
	}
	if n := len(rec.Ended()); n != 3 {
		t.Errorf("%d spans recorded, want one per handle (3)", n)
	}
}

// traceparent returns the one trace header of an output; two spellings
// would give a consumer two parents.
func traceparent(t *testing.T, h nats.Header) string {
	t.Helper()
	var vals []string
	for k, v := range h {
		if strings.EqualFold(k, "traceparent") {
			vals = append(vals, v...)
		}
	}
	if len(vals) != 1 {
		t.Errorf("want exactly one traceparent header, got %v", vals)
		return ""
	}
	return vals[0]
}
