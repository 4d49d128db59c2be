package pipeline

import (
	"io"

	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/trace"
)

// NewLogger returns a JSON logger at level whose events carry trace_id and
// span_id when they are logged with a context that holds a span
// (log.Info().Ctx(ctx)...).
func NewLogger(w io.Writer, level zerolog.Level) zerolog.Logger {
	zerolog.TimeFieldFormat = zerolog.TimeFormatUnixMs
	return zerolog.New(w).Level(level).Hook(traceHook{}).With().Timestamp().Logger()
}

type traceHook struct{}

func (traceHook) Run(e *zerolog.Event, _ zerolog.Level, _ string) {
	ctx := e.GetCtx()
	if ctx == nil {
		return
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		e.Str(FieldTraceID, sc.TraceID().String()).Str(FieldSpanID, sc.SpanID().String())
	}
}
