package pipeline

import (
	"context"
	"time"

	"github.com/rs/zerolog"
)

// outcome is how a held message left the runner.
type outcome int

const (
	outcomeSucceeded outcome = iota
	outcomeDeadLettered
	outcomeHandedBack
)

// settle runs act (Ack, Term, Nak…) once per held message and releases its
// place. Shutdown may race a late handler for the same message: the first
// one wins, the other does nothing.
func (r *Runner) settle(h *held, o outcome, act func() error) {
	if !h.settled.CompareAndSwap(false, true) {
		return
	}
	if err := act(); err != nil {
		r.event(context.Background(), r.log.Warn(), h).Err(err).Msg("settling message with the server failed; it will be redelivered")
	}
	r.mu.Lock()
	delete(r.held, h.id)
	r.cond.Broadcast()
	r.mu.Unlock()
	r.tel.inFlight(-1)
	r.tel.settled(h, o)
	switch o {
	case outcomeSucceeded:
		r.recordOutcome(false)
	case outcomeDeadLettered:
		r.recordOutcome(true)
	}
}

// recordOutcome feeds the DLQ breaker and shouts when it trips.
func (r *Runner) recordOutcome(dead bool) {
	if !r.breaker.record(dead) {
		return
	}
	r.log.Error().Str(FieldBreaker, "open").Float64(FieldShare, r.cfg.Breaker.MaxShare).
		Int(FieldWindow, r.cfg.Breaker.Window).Dur(FieldCooldown, r.cfg.Breaker.Cooldown).
		Msg("DLQ circuit breaker tripped: too many dead letters, stage stops pulling and reports unready")
	r.mu.Lock()
	r.cond.Broadcast()
	r.mu.Unlock()
}

// handBack naks h with at least delay, and later than any message of its key
// handed back before it, so a key's messages come back in order.
func (r *Runner) handBack(h *held, delay time.Duration) {
	delay = max(delay, r.cfg.ShutdownNakDelay)
	if h.lane != nil {
		r.mu.Lock()
		delay = h.lane.nextBackDelay(delay)
		r.mu.Unlock()
	}
	r.settle(h, outcomeHandedBack, func() error { return h.msg.NakWithDelay(delay) })
}

// handBackAll hands back every message still held, lane by lane in order.
// It is the last step of a shutdown whose bound passed.
func (r *Runner) handBackAll() int {
	r.mu.Lock()
	var all []*held
	for _, l := range r.lanes {
		for _, h := range l.queue {
			if !h.settled.Load() {
				all = append(all, h)
			}
		}
	}
	r.mu.Unlock()
	for _, h := range all {
		r.handBack(h, 0)
	}
	return len(all)
}

// keyErr names the stage and key of err for logs and dead letters.
func (r *Runner) keyErr(h *held, err error) error {
	return &KeyError{Stage: r.Name(), Key: h.key, Err: err}
}

// event adds the message's fields (and, through the logger's hook, its
// trace id) to a log event.
func (r *Runner) event(ctx context.Context, e *zerolog.Event, h *held) *zerolog.Event {
	return e.Ctx(ctx).Str(FieldSubject, h.in.Subject).Str(FieldStream, h.in.Stream).
		Uint64(FieldStreamSeq, h.in.Seq).Str(FieldKey, h.key).Uint64(FieldDeliveries, h.in.Deliveries)
}
