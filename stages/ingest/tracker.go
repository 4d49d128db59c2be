package ingest

import (
	"sync"
	"time"

	"github.com/jackc/pglogrepl"
)

// txEntry is one transaction (or idle keepalive position) in commit order.
type txEntry struct {
	endLSN  pglogrepl.LSN
	pending int       // publishes not yet acknowledged
	closed  bool      // COMMIT seen (always true for keepalive marks)
	ackedAt time.Time // when the last of its publishes was acknowledged
}

// tracker decides how far the slot may be confirmed: across the contiguous
// prefix of transactions whose publishes were all acknowledged at least
// `delay` ago (the server's fsync interval), so a crash of the JetStream
// server can never lose a change PostgreSQL has already released.
type tracker struct {
	mu        sync.Mutex
	queue     []*txEntry
	delay     time.Duration
	confirmed pglogrepl.LSN
}

func newTracker(confirmed pglogrepl.LSN, delay time.Duration) *tracker {
	return &tracker{confirmed: confirmed, delay: delay}
}

// open starts a transaction at the tail.
func (t *tracker) open() *txEntry {
	e := &txEntry{}
	t.mu.Lock()
	t.queue = append(t.queue, e)
	t.mu.Unlock()
	return e
}

// publishing counts one more publish of e.
func (t *tracker) publishing(e *txEntry) {
	t.mu.Lock()
	e.pending++
	t.mu.Unlock()
}

// acked records that one publish of e was stored at now.
func (t *tracker) acked(e *txEntry, now time.Time) {
	t.mu.Lock()
	e.pending--
	if now.After(e.ackedAt) {
		e.ackedAt = now
	}
	t.mu.Unlock()
}

// close records e's COMMIT. A transaction without publishes (all skipped or
// outside the table set) still waits out the delay, like a keepalive.
func (t *tracker) close(e *txEntry, end pglogrepl.LSN, now time.Time) {
	t.mu.Lock()
	e.endLSN, e.closed = end, true
	if e.ackedAt.IsZero() {
		e.ackedAt = now
	}
	t.mu.Unlock()
}

// mark queues an idle keepalive position behind everything in flight, so a
// keepalive can never confirm a change that is not yet durable.
func (t *tracker) mark(walEnd pglogrepl.LSN, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	last := t.confirmed
	if n := len(t.queue); n > 0 {
		last = t.queue[n-1].endLSN
	}
	if walEnd <= last {
		return
	}
	t.queue = append(t.queue, &txEntry{endLSN: walEnd, closed: true, ackedAt: now})
}

// confirmable pops the durable prefix and returns the LSN the slot may be
// confirmed to.
func (t *tracker) confirmable(now time.Time) pglogrepl.LSN {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, e := range t.queue {
		if !e.closed || e.pending > 0 || now.Sub(e.ackedAt) < t.delay {
			break
		}
		if e.endLSN > t.confirmed {
			t.confirmed = e.endLSN
		}
		n++
	}
	t.queue = t.queue[n:]
	return t.confirmed
}
