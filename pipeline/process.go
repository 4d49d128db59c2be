package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// process drives one held message to an end: acked after its outputs are
// stored, dead-lettered, or handed back at shutdown. A transient failure is
// retried in place after a backoff, so the message keeps its place at the
// head of its key's lane.
func (r *Runner) process(h *held) {
	var bo backoff.BackOff // made on the first failure: most messages never need one
	// attempt counts calls of the handler for this message: one per earlier
	// delivery plus this delivery's in-place retries. In-place retries of an
	// earlier delivery (before a restart) are not remembered, so a restart
	// can only grant extra attempts, never fewer.
	for attempt := max(int(h.in.Deliveries), 1); ; attempt++ {
		if r.stopping() {
			r.handBack(h, 0)
			return
		}
		delay, again := r.try(h, attempt, &bo)
		if !again {
			return
		}
		if !r.pause(delay) {
			r.handBack(h, delay)
			return
		}
	}
}

// fencer is a message that may stop being ours to handle: a consumer-group
// message after its member's lease lapsed (see memberLease).
type fencer interface{ Fenced() bool }

// try makes one attempt. It reports whether to retry, and after what delay;
// otherwise the message is settled.
func (r *Runner) try(h *held, attempt int, bo *backoff.BackOff) (time.Duration, bool) {
	if f, ok := h.msg.(fencer); ok && f.Fenced() {
		r.event(r.handleCtx, r.log.Warn(), h).Msg("group lease lapsed since the message was pulled: handing it back unhandled")
		r.handBack(h, 0)
		return 0, false
	}
	ctx, span := r.tel.startSpan(r.handleCtx, h, attempt)
	defer span.End()
	outs, err := r.handle(ctx, h)
	switch {
	case h.settled.Load():
		return 0, false // shutdown gave up on this handler and handed the message back
	case err == nil:
		r.publishAndAck(ctx, h, outs)
		return 0, false
	case r.handleCtx.Err() != nil:
		r.handBack(h, 0) // cancelled by shutdown: not the message's fault
		return 0, false
	}
	r.tel.recordError(span, err)
	if IsPermanent(err) || attempt >= r.cfg.MaxDeliveries {
		r.deadLetter(ctx, h, err, attempt)
		return 0, false
	}
	delay, ok := RetryAfter(err)
	if !ok {
		if *bo == nil {
			*bo = r.newBackOff(h.in.Deliveries)
		}
		delay = (*bo).NextBackOff()
	}
	r.tel.retried(h, "handler")
	r.event(ctx, r.log.Warn(), h).Err(r.keyErr(h, err)).Int(FieldAttempt, attempt).
		Dur(FieldRetryIn, delay).Msg("transient failure, retrying in place")
	return delay, true
}

// handle calls the stage on a worker slot and times it. A panicking stage
// fails the attempt (transiently, so a bug that trips on one input ends in
// the DLQ after its retries) instead of killing every key's work.
func (r *Runner) handle(ctx context.Context, h *held) (outs []*Message, err error) {
	r.acquire()
	defer r.release()
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			outs, err = nil, fmt.Errorf("stage panicked: %v", p)
		}
		r.tel.handled(ctx, time.Since(start))
	}()
	return r.stage.Handle(ctx, h.in)
}

// publishAndAck stores every output, then acks the input. A publish that
// fails is an infrastructure fault (stream missing or full, no responders,
// timeout), never the message's: it is retried in place without counting
// as an attempt, and at shutdown the input is handed back, never dropped.
func (r *Runner) publishAndAck(ctx context.Context, h *held, outs []*Message) {
	msgs := r.outputs(ctx, h, outs)
	var bo backoff.BackOff
	for i := 0; i < len(msgs); {
		err := r.publish(msgs[i])
		if err == nil {
			i++
			continue
		}
		if bo == nil {
			bo = r.newBackOff(1)
		}
		delay := bo.NextBackOff()
		r.tel.retried(h, "publish")
		r.event(ctx, r.log.Warn(), h).Err(r.keyErr(h, err)).Str(FieldOutput, msgs[i].Subject).
			Dur(FieldRetryIn, delay).Msg("output not stored, retrying publish")
		if !r.pause(delay) {
			r.handBack(h, delay)
			return
		}
	}
	if r.afterPublish != nil {
		r.afterPublish(h.in)
	}
	r.settle(h, outcomeSucceeded, h.msg.Ack)
}

// newBackOff returns a fresh exponential backoff for one message, advanced
// past the attempts of its earlier deliveries. Backoffs are stateful and
// never shared between messages.
func (r *Runner) newBackOff(deliveries uint64) backoff.BackOff {
	c := r.cfg.Backoff
	b := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(c.Initial), backoff.WithMaxInterval(c.Max),
		backoff.WithMultiplier(c.Multiplier), backoff.WithRandomizationFactor(c.Jitter),
		backoff.WithMaxElapsedTime(0))
	for i := uint64(1); i < min(deliveries, 64); i++ {
		b.NextBackOff()
	}
	return b
}
