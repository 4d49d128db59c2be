package pipeline

import (
	"sync"
	"time"
)

// breaker is the DLQ circuit breaker: a stage whose inputs mostly die (a
// broken mapping, a v2 service rejecting everything) should stop and page
// someone rather than drain its whole input into the DLQ.
//
// It counts the last Window outcomes (acked or dead-lettered; hand-backs do
// not count). When dead letters exceed MaxShare of them, with at least
// MinSamples known, it opens: the runner stops pulling and reports unready.
// Half-open: after Cooldown it closes again with an empty window, so the
// stage probes with fresh messages and reopens after MinSamples if the cause
// persists; at most about MinSamples*MaxShare more dead letters per Cooldown.
// A zero Cooldown keeps it open until the process restarts.
type breaker struct {
	cfg      BreakerConfig
	mu       sync.Mutex
	ring     []bool
	next     int
	n        int
	dead     int
	open     bool
	openedAt time.Time
	// trips receives once per trip, for Run to stop its consumer.
	trips chan struct{}
}

func newBreaker(cfg BreakerConfig) *breaker {
	return &breaker{cfg: cfg, ring: make([]bool, cfg.Window), trips: make(chan struct{}, 1)}
}

// record adds an outcome and reports whether it tripped the breaker.
func (b *breaker) record(dead bool) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.n == len(b.ring) && b.ring[b.next] {
		b.dead--
	}
	b.ring[b.next] = dead
	b.next = (b.next + 1) % len(b.ring)
	b.n = min(b.n+1, len(b.ring))
	if dead {
		b.dead++
	}
	if b.open || b.n < b.cfg.MinSamples || float64(b.dead) <= b.cfg.MaxShare*float64(b.n) {
		return false
	}
	b.open, b.openedAt = true, time.Now()
	select {
	case b.trips <- struct{}{}:
	default:
	}
	return true
}

// isOpen reports whether the breaker is open, moving it to half-open
// (closed with an empty window) once the cooldown has passed.
func (b *breaker) isOpen() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.open && b.cfg.Cooldown > 0 && time.Since(b.openedAt) >= b.cfg.Cooldown {
		b.open, b.n, b.next, b.dead = false, 0, 0, 0
		clear(b.ring)
	}
	return b.open
}

// reopenIn returns how long until an open breaker goes half-open, and false
// when it never will.
func (b *breaker) reopenIn() (time.Duration, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cfg.Cooldown == 0 {
		return 0, false
	}
	return max(time.Until(b.openedAt.Add(b.cfg.Cooldown)), 0), true
}
