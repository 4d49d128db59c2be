package pipeline_test

import (
	"context"
	"os/exec"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/synadia-io/orbit.go/pcgroups"

	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
)

// Three member processes of the write stage share V2_INTENTS: m1 and m2
// start, m3 joins a fifth of the way in, m1 is SIGKILLed at 60%. Every message
// must be handled, per-key order must hold across processes, every member
// must handle a share, and m2 and m3 must leave gracefully on SIGTERM.
func TestGroupProcessesShareKeysJoinAndSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test")
	}
	// "func" isolates the group machinery; "runner" is the production path.
	for _, mode := range []string{"func", "runner"} {
		t.Run(mode, func(t *testing.T) { runGroupScenario(t, mode) })
	}
}

func runGroupScenario(t *testing.T, mode string) {
	env := natstest.Start(t)
	env.Provision(t, streams.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := streams.ProvisionGroups(ctx, env.JS, streams.DefaultConfig(), streams.StageWrite); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	m1 := startGroupChild(t, env.URL, dir, mode, "m1")
	m2 := startGroupChild(t, env.URL, dir, mode, "m2")
	natstest.Eventually(t, 30*time.Second, "m1 and m2 consuming", func() bool {
		return len(activeMembers(t, env.JS)) == 2
	})

	var published atomic.Int64
	origins := map[string]string{}
	pubDone := make(chan struct{})
	go func() { defer close(pubDone); publishIntents(ctx, t, env.JS, groupMessages, &published, origins) }()

	natstest.Eventually(t, 30*time.Second, "a fifth published", func() bool { return published.Load() >= groupMessages/5 })
	m3 := startGroupChild(t, env.URL, dir, mode, "m3")
	natstest.Eventually(t, 30*time.Second, "m3 handling", func() bool {
		_, ok := readChildLogs(t, dir).firstBy("m3")
		return ok
	})

	natstest.Eventually(t, 30*time.Second, "60% published", func() bool { return published.Load() >= groupMessages*3/5 })
	if err := m1.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killedAt := time.Now()
	_ = m1.Wait()

	var log childLog
	natstest.Eventually(t, 60*time.Second, "every message handled", func() bool {
		log = readChildLogs(t, dir)
		return len(log.distinct) == groupMessages
	})
	<-pubDone

	for _, w := range log.wrongOrigins(origins) {
		t.Errorf("metadata does not name the input: %s", w)
	}
	checkGroupRun(t, log, killedAt)
	leaveGracefully(t, env, m2, m3)
}

// checkGroupRun asserts order and shares and reports the figures.
func checkGroupRun(t *testing.T, log childLog, killedAt time.Time) {
	t.Helper()
	for _, o := range log.overlaps() {
		t.Errorf("one key on two processes at once: %s", o)
	}
	overtaken, dups := log.orderReport()
	for _, o := range overtaken {
		t.Errorf("per-key order broken: %s", o)
	}
	t.Logf("handled %d records for %d messages; %d duplicates %v", len(log.handled), groupMessages, len(dups), dups)

	m3First, _ := log.firstBy("m3")
	t.Logf("join: m3 started %s before its first message", m3First.Sub(log.started["m3"]).Round(time.Millisecond))
	three := log.shares(m3First, killedAt)
	t.Logf("shares while m1..m3 ran: %v; whole run: %v", three, log.shares(time.Time{}, time.Now()))
	total := three["m1"] + three["m2"] + three["m3"]
	for _, m := range []string{"m1", "m2", "m3"} {
		// The keys and their partitions are fixed, so the split is too; half
		// a fair share is the floor of "roughly balanced".
		if three[m] == 0 || three[m] < total/6 {
			t.Errorf("%s handled %d of %d while three members ran (shares %v)", m, three[m], total, three)
		}
	}
	after := log.shares(killedAt, time.Now())
	if after["m1"] > 0 {
		t.Errorf("m1 handled %d messages after SIGKILL", after["m1"])
	}
	if after["m2"] == 0 || after["m3"] == 0 {
		t.Errorf("survivors' shares after the kill: %v", after)
	}
	resumed := log.resumed("m1", killedAt)
	if len(resumed) == 0 {
		t.Fatal("no key of m1 resumed on a survivor")
	}
	t.Logf("failover: %d keys of m1 resumed on survivors after %s (first) / %s (median) / %s (last)",
		len(resumed), resumed[0].Round(time.Millisecond), resumed[len(resumed)/2].Round(time.Millisecond),
		resumed[len(resumed)-1].Round(time.Millisecond))
}

// leaveGracefully stops members with SIGTERM: each must exit cleanly, and
// the group must end with no member and nothing left in its work queue.
func leaveGracefully(t *testing.T, env *natstest.Env, members ...*exec.Cmd) {
	t.Helper()
	for _, m := range members {
		start := time.Now()
		if err := m.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- m.Wait() }()
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("member %v exited with %v", m.Args, err)
			}
		case <-time.After(30 * time.Second):
			_ = m.Process.Kill()
			t.Fatalf("member %v still running 30s after SIGTERM", m.Args)
		}
		t.Logf("graceful leave took %s", time.Since(start).Round(time.Millisecond))
	}
	if ms := activeMembers(t, env.JS); len(ms) != 0 {
		t.Errorf("members left behind: %v", ms)
	}
	gc, err := pcgroups.GetElasticConsumerGroupConfig(context.Background(), env.JS, streams.V2Intents, streams.StageWrite)
	if err != nil {
		t.Fatal(err)
	}
	if len(gc.Members) != 0 {
		t.Errorf("membership after every member left: %v", gc.Members)
	}
	s, err := env.JS.Stream(context.Background(), streams.GroupStream(streams.V2Intents, streams.StageWrite))
	if err != nil {
		t.Fatal(err)
	}
	if n := s.CachedInfo().State.Msgs; n != 0 {
		t.Errorf("%d messages left in the work queue", n)
	}
}
