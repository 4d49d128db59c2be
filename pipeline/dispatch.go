package pipeline

import (
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// handBackStep separates the redelivery delays of successive messages of one
// key handed back at shutdown, so they come back in their original order.
const handBackStep = 20 * time.Millisecond

// lane is the queue of one key: its head is being handled (or retried), the
// rest wait behind it. A lane exists only while it holds messages.
type lane struct {
	key   string
	queue []*held
	// lastBack is the delay given to the last message handed back, so the
	// next one gets a longer one.
	lastBack time.Duration
}

// Dispatch hands one delivered message to the runner. It is the entry point
// of every source: Run's consumer calls it, and a partition-group source
// calls it from its own consumers' handlers (concurrently is fine).
//
// Dispatch returns once the message is queued behind its key; it blocks
// while the runner holds MaxHeld messages or the key holds MaxPerKey, which
// stops a Consume callback from taking more (backpressure). After Stop, or
// while the DLQ breaker is open, a message whose key is idle is handed
// straight back with NakWithDelay; one whose key is busy joins its lane so
// that it is handed back in order. The runner owns the message from here:
// the source must not ack or nak it.
func (r *Runner) Dispatch(m jetstream.Msg) {
	in, err := inputOf(m)
	if err != nil {
		r.log.Error().Err(err).Str(FieldSubject, m.Subject()).Msg("terminating undecodable delivery")
		_ = m.TermWithReason("no metadata")
		return
	}
	h := &held{msg: m, in: in, key: r.keyOf(in), id: heldID(in)}
	r.tel.countReceived()
	r.startKeepAlive()
	if back, delay := r.enqueue(h); back {
		r.handBack(h, delay)
	}
}

// enqueue puts h in its key's lane, waiting for room. It reports whether h
// must be handed back instead, and with what delay.
func (r *Runner) enqueue(h *held) (bool, time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for !r.closing && !r.breaker.isOpen() && r.full(h.key) {
		r.cond.Wait()
	}
	if _, dup := r.held[h.id]; dup {
		return false, 0 // a redelivery of a message still held: the held one settles it
	}
	l := r.lanes[h.key]
	if l == nil && (r.closing || r.breaker.isOpen()) {
		return true, r.idleHandBackDelay()
	}
	if l == nil {
		l = &lane{key: h.key}
		r.lanes[h.key] = l
		r.lanesWG.Add(1)
		go r.runLane(l)
	}
	h.lane = l
	l.queue = append(l.queue, h)
	r.held[h.id] = h
	r.tel.inFlight(1)
	return false, 0
}

func (r *Runner) full(key string) bool {
	if len(r.held) >= r.cfg.MaxHeld {
		return true
	}
	l := r.lanes[key]
	return l != nil && len(l.queue) >= r.cfg.MaxPerKey
}

// idleHandBackDelay is the delay for a message refused at the door: the
// breaker's cooldown while it is open, the shutdown delay otherwise.
func (r *Runner) idleHandBackDelay() time.Duration {
	if !r.closing && r.cfg.Breaker.Cooldown > 0 {
		return r.cfg.Breaker.Cooldown
	}
	if !r.closing {
		return r.cfg.AckWait
	}
	return r.cfg.ShutdownNakDelay
}

// runLane handles a key's messages one at a time, in arrival order, until
// the lane is empty.
func (r *Runner) runLane(l *lane) {
	defer r.lanesWG.Done()
	for {
		r.mu.Lock()
		if len(l.queue) == 0 {
			delete(r.lanes, l.key)
			r.mu.Unlock()
			return
		}
		h := l.queue[0]
		r.mu.Unlock()

		r.process(h)

		r.mu.Lock()
		l.queue[0] = nil
		l.queue = l.queue[1:]
		r.cond.Broadcast()
		r.mu.Unlock()
	}
}

// nextBackDelay returns at least min, and more than the delay of the key's
// previous hand-back. Callers hold r.mu.
func (l *lane) nextBackDelay(min time.Duration) time.Duration {
	d := max(min, l.lastBack+handBackStep)
	l.lastBack = d
	return d
}
