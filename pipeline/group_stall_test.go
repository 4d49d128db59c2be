package pipeline_test

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/pcgroups"

	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
)

// A member that stalls (SIGSTOP) longer than DeadAfter is evicted and its
// partitions move to the other member; once it resumes (SIGCONT) it finds
// itself out of the group, joins again and takes a share back. Nothing is
// lost and per-key order holds. The messages it held when it stopped are
// not handled again after it resumes (its lease lapsed, see memberLease):
// the only handlings allowed to overlap across processes are those already
// running when it stopped.
func TestGroupStalledMemberIsEvictedAndRejoins(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test")
	}
	env := natstest.Start(t)
	env.Provision(t, streams.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := streams.ProvisionGroups(ctx, env.JS, streams.DefaultConfig(), streams.StageWrite); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	m1 := startGroupChild(t, env.URL, dir, "runner", "m1")
	m2 := startGroupChild(t, env.URL, dir, "runner", "m2")
	natstest.Eventually(t, 30*time.Second, "m1 and m2 consuming", func() bool {
		return len(activeMembers(t, env.JS)) == 2
	})

	const total = groupMessages / 2
	var published atomic.Int64
	origins := map[string]string{}
	pubDone := make(chan struct{})
	go func() { defer close(pubDone); publishIntents(ctx, t, env.JS, total, &published, origins) }()

	natstest.Eventually(t, 30*time.Second, "a fifth published", func() bool { return published.Load() >= total/5 })
	if err := m2.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stoppedAt := time.Now()
	natstest.Eventually(t, 30*time.Second, "m2 evicted", func() bool { return !isMember(t, env.JS, "m2") })
	evicted := time.Since(stoppedAt)
	// Taken before the signal: m2 may run before Signal returns.
	resumedAt := time.Now()
	if err := m2.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, 30*time.Second, "m2 back in the group and consuming", func() bool {
		return isMember(t, env.JS, "m2") && slices.Contains(activeMembers(t, env.JS), "m2")
	})
	t.Logf("m2 evicted %s after SIGSTOP; back and consuming %s after SIGCONT",
		evicted.Round(time.Millisecond), time.Since(resumedAt).Round(time.Millisecond))

	var log childLog
	natstest.Eventually(t, 60*time.Second, "every message handled", func() bool {
		log = readChildLogs(t, dir)
		return len(log.distinct) == total
	})
	<-pubDone
	checkStallRun(t, log, origins, stoppedAt, resumedAt)
	leaveGracefully(t, env, m1, m2)
}

func checkStallRun(t *testing.T, log childLog, origins map[string]string, stoppedAt, resumedAt time.Time) {
	t.Helper()
	for _, w := range log.wrongOrigins(origins) {
		t.Errorf("metadata does not name the input: %s", w)
	}
	overtaken, dups := log.orderReport()
	for _, o := range overtaken {
		t.Errorf("per-key order broken: %s", o)
	}
	for _, h := range log.handled {
		if h.member == "m2" && h.began.After(stoppedAt) && log.handledBy("m1", h.key, h.seq) {
			t.Errorf("m2 handled %s #%d %s after SIGSTOP though m1 had it: a message pulled before its lease lapsed",
				h.key, h.seq, h.began.Sub(stoppedAt).Round(time.Millisecond))
		}
	}
	stale := func(h handling) bool { return spansStall(h, stoppedAt, resumedAt) }
	stalled := 0
	for _, o := range log.overlapping() {
		a, b := o[0], o[1]
		if stale(a) || stale(b) {
			stalled++
			continue
		}
		rel := func(h handling) string {
			return fmt.Sprintf("%s #%d [%s, %s]", h.member, h.seq, h.began.Sub(stoppedAt).Round(time.Millisecond), h.at.Sub(stoppedAt).Round(time.Millisecond))
		}
		t.Errorf("one key on two processes at once: %s: %s and %s (relative to SIGSTOP; SIGCONT at %s)", a.key, rel(a), rel(b), resumedAt.Sub(stoppedAt).Round(time.Millisecond))
	}
	t.Logf("%d duplicates %v; %d overlaps with a message m2 held across the stall", len(dups), dups, stalled)
	after := log.shares(resumedAt, time.Now())
	if after["m2"] == 0 {
		t.Errorf("m2 handled nothing after it rejoined (shares %v)", after)
	}
	t.Logf("shares after the rejoin: %v; whole run: %v", after, log.shares(time.Time{}, time.Now()))
}

// spansStall reports whether h was begun before the stall and ended after it.
func spansStall(h handling, stoppedAt, resumedAt time.Time) bool {
	return h.member == "m2" && h.began.Before(stoppedAt) && h.at.After(resumedAt)
}

// isMember reports whether member is in the write group's membership.
func isMember(t *testing.T, js jetstream.JetStream, member string) bool {
	t.Helper()
	gc, err := pcgroups.GetElasticConsumerGroupConfig(context.Background(), js, streams.V2Intents, streams.StageWrite)
	if err != nil {
		t.Fatal(err)
	}
	return gc.IsInMembership(member)
}
