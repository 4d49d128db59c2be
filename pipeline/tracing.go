package pipeline

import (
	"context"
	"net/textproto"
	"strings"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// propagator is fixed rather than otel's global one, which is a no-op until
// someone sets it: trace context must flow even in a process that exports
// no spans.
var propagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// headerCarrier reads trace headers in any spelling. nats.Header lookups are
// case-sensitive: Go clients write "Traceparent", others "traceparent".
type headerCarrier nats.Header

func (c headerCarrier) Get(key string) string {
	h := nats.Header(c)
	for _, k := range []string{key, textproto.CanonicalMIMEHeaderKey(key), strings.ToLower(key)} {
		if v := h.Get(k); v != "" {
			return v
		}
	}
	return ""
}

// Set writes the canonical spelling (what Go's HeaderCarrier reads) and
// drops any other spelling copied over from an input, so an output never
// carries two parents.
func (c headerCarrier) Set(key, value string) {
	h := nats.Header(c)
	canon := textproto.CanonicalMIMEHeaderKey(key)
	for k := range h {
		if k != canon && strings.EqualFold(k, key) {
			delete(h, k)
		}
	}
	h.Set(canon, value)
}

func (c headerCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// extractTrace returns ctx with the trace context found in hdr, if any.
func extractTrace(ctx context.Context, hdr nats.Header) context.Context {
	return propagator.Extract(ctx, headerCarrier(hdr))
}

// injectTrace writes ctx's trace context into hdr.
func injectTrace(ctx context.Context, hdr nats.Header) {
	propagator.Inject(ctx, headerCarrier(hdr))
}

// startSpan opens the span of one handle attempt, child of the input's trace.
func (t *telemetry) startSpan(parent context.Context, h *held, attempt int) (context.Context, trace.Span) {
	ctx := extractTrace(parent, h.in.Header)
	return t.tracer.Start(ctx, t.stage+".handle", trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(
			attribute.String("messaging.system", "nats"),
			attribute.String("messaging.destination.name", h.in.Subject),
			attribute.String("v1sync.stream", h.in.Stream),
			attribute.Int64("v1sync.stream_seq", int64(h.in.Seq)),
			attribute.Int("v1sync.attempt", attempt),
		))
}

func (t *telemetry) recordError(span trace.Span, err error) {
	span.RecordError(err)
	span.SetStatus(codes.Error, err.Error())
}
