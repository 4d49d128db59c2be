package pipeline

import (
	"sync"
	"time"
)

// memberLease is a member's own view of its membership. Nobody may evict a
// member before its last heartbeat is DeadAfter old on the server's clock,
// and the server stored that heartbeat after we sent it, so the lease is
// valid until the send time of our last confirmed heartbeat plus DeadAfter
// (on our monotonic clock, which runs on through a stall). Each lapse
// starts a new epoch: whatever was pulled in an earlier one may belong to
// another member by now.
type memberLease struct {
	deadAfter time.Duration

	mu    sync.Mutex
	until time.Time
	epoch uint64
}

// confirmed records a heartbeat sent at sentAt and stored by the server.
func (l *memberLease) confirmed(sentAt time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !sentAt.Before(l.until) {
		l.epoch++ // lapsed (or first): start a new epoch
	}
	l.until = sentAt.Add(l.deadAfter)
}

// current returns the epoch whose messages may be handled now.
func (l *memberLease) current() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.epoch
}

// holds reports whether a message pulled in epoch may be handled now.
func (l *memberLease) holds(epoch uint64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return epoch == l.epoch && time.Now().Before(l.until)
}
