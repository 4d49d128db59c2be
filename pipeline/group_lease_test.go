package pipeline

import (
	"testing"
	"time"
)

func TestMemberLeaseLapsesAndStartsANewEpoch(t *testing.T) {
	l := &memberLease{deadAfter: time.Minute}
	if l.holds(0) {
		t.Fatal("a lease with no heartbeat yet holds")
	}
	now := time.Now()
	l.confirmed(now)
	first := l.current()
	if !l.holds(first) || l.holds(first-1) {
		t.Fatalf("after a heartbeat: holds(%d)=%v, holds(%d)=%v", first, l.holds(first), first-1, l.holds(first-1))
	}
	l.confirmed(now.Add(30 * time.Second)) // renewed in time: same epoch
	if l.current() != first {
		t.Fatalf("a renewal in time started epoch %d", l.current())
	}
	// A heartbeat sent long ago and confirmed only now (the process was
	// stopped in between): the lease lapsed.
	l.confirmed(now.Add(-2 * time.Minute))
	if l.holds(first) {
		t.Fatal("a lapsed lease still holds")
	}
	l.confirmed(time.Now())
	if l.current() == first || l.holds(first) || !l.holds(l.current()) {
		t.Fatalf("after the lapse: epoch %d (was %d); old epoch holds: %v", l.current(), first, l.holds(first))
	}
}

func TestGroupMsgIsFencedByItsLease(t *testing.T) {
	l := &memberLease{deadAfter: time.Minute}
	l.confirmed(time.Now())
	g := &groupMsg{lease: l, epoch: l.current()}
	if g.Fenced() {
		t.Fatal("fenced under a valid lease")
	}
	l.confirmed(time.Now().Add(time.Hour)) // a later epoch
	if !g.Fenced() {
		t.Fatal("a message of an earlier epoch is not fenced")
	}
	if (&groupMsg{}).Fenced() {
		t.Fatal("a message outside any group is fenced")
	}
}
