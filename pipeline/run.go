package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Run consumes cons into Dispatch until ctx is cancelled, then shuts the
// runner down (Stop, drain the client buffer, Wait) and returns. While the
// DLQ breaker is open it stops pulling; it resumes when the breaker goes
// half-open. Run owns the runner's lifecycle: use it for one consumer, or
// feed Dispatch yourself and call Shutdown.
func (r *Runner) Run(ctx context.Context, cons jetstream.Consumer) error {
	if err := r.checkAckWait(cons); err != nil {
		r.Stop()
		return errors.Join(err, r.Wait())
	}
	for {
		cc, err := cons.Consume(r.Dispatch,
			jetstream.PullMaxMessages(r.cfg.PullMaxMessages),
			jetstream.PullExpiry(r.cfg.PullExpiry), jetstream.PullHeartbeat(r.cfg.PullHeartbeat),
			jetstream.ConsumeErrHandler(r.consumeError))
		if err != nil {
			r.Stop()
			return errors.Join(fmt.Errorf("pipeline: %s: consume: %w", r.Name(), err), r.Wait())
		}
		r.MarkBound(true)
		r.log.Info().Int(FieldPrefetch, r.cfg.PullMaxMessages).Int(FieldWorkers, r.cfg.Workers).Msg("consuming")
		select {
		case <-ctx.Done():
			return r.drainAndWait(cc)
		case <-r.breaker.trips:
			r.MarkBound(false)
			cc.Stop()
			<-cc.Closed()
			if !r.awaitHalfOpen(ctx) {
				return r.Shutdown()
			}
		}
	}
}

// drainAndWait stops the runner, lets the consumer hand its buffered
// messages to Dispatch (which hands them back in key order), and waits.
func (r *Runner) drainAndWait(cc jetstream.ConsumeContext) error {
	r.Stop()
	cc.Drain()
	select {
	case <-cc.Closed():
	case <-time.After(r.cfg.ShutdownTimeout):
		cc.Stop()
	}
	r.MarkBound(false)
	return r.Wait()
}

// awaitHalfOpen waits for the breaker's cooldown; false means ctx ended
// first (or the breaker never reopens and ctx ended).
func (r *Runner) awaitHalfOpen(ctx context.Context) bool {
	wait, ok := r.breaker.reopenIn()
	if !ok {
		<-ctx.Done()
		return false
	}
	select {
	case <-ctx.Done():
		return false
	case <-time.After(wait):
		r.breaker.isOpen() // moves it to half-open
		r.log.Warn().Str(FieldBreaker, "half-open").Msg("DLQ circuit breaker cooled down, pulling again")
		return true
	}
}

// checkAckWait refuses a consumer whose AckWait would expire between two
// keep-alives: every held message would be redelivered while still held.
func (r *Runner) checkAckWait(cons jetstream.Consumer) error {
	info := cons.CachedInfo()
	if info == nil || info.Config.AckWait == 0 {
		return nil
	}
	got := info.Config.AckWait
	if got <= r.cfg.KeepAliveEvery() {
		return fmt.Errorf("pipeline: %s: consumer %s ack wait %s is not above the keep-alive period %s; set Config.AckWait to the consumer's",
			r.Name(), info.Name, got, r.cfg.KeepAliveEvery())
	}
	if got != r.cfg.AckWait {
		r.log.Warn().Dur(FieldTimeout, got).Msg("consumer ack wait differs from Config.AckWait")
	}
	return nil
}

func (r *Runner) consumeError(_ jetstream.ConsumeContext, err error) {
	if errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) {
		r.MarkBound(false)
	}
	r.log.Warn().Err(err).Msg("consume error")
}
