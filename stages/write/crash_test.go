package write

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/idmap"
	"github.com/linuxfoundation/v1sync/stages/intent"
	"github.com/linuxfoundation/v1sync/streams"
	v2sim "github.com/linuxfoundation/v1sync/test/sim/v2"
)

// Environment of the crashing child process.
const (
	envCrashChild  = "V1SYNC_WRITE_CRASH_CHILD"
	envCrashNATS   = "V1SYNC_WRITE_CRASH_NATS"
	envCrashSim    = "V1SYNC_WRITE_CRASH_SIM"
	envCrashIntent = "V1SYNC_WRITE_CRASH_INTENT"
	envCrashKey    = "V1SYNC_WRITE_CRASH_KEY"
)

// A write process SIGKILLed after its POST reached v2 and before it wrote the
// mapping: the next attempt (another process) adopts the object; there is
// never a second v2 object.
func TestSIGKILLBetweenPostAndMappingWrite(t *testing.T) {
	h := newHarness(t, nil)
	c := withCommittee(t, h)
	puid := h.live(idmap.ProjectSFIDKey(projectSFID))
	cases := []intent.Intent{
		projectIntent(t, "a0P0000000000K1AAA", 1, projectBase(h.sim.RootUID(), "killed", "Killed"), nil),
		committeeIntent(t, "c0000000-0000-0000-0000-0000000000k1", 1, puid, projectSFID, committeeBase(puid, "Killed")),
		memberIntent(t, "m0000000-0000-0000-0000-0000000000k1", 1, c, memberBase("killed@example.org", "Kill")),
	}
	for _, in := range cases {
		t.Run(string(in.Entity), func(t *testing.T) {
			data, _ := json.Marshal(in)
			cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
			cmd.Env = append(os.Environ(), envCrashChild+"=1", envCrashNATS+"="+h.env.URL,
				envCrashSim+"="+h.sim.URL(), envCrashIntent+"="+string(data), envCrashKey+"="+string(h.sim.SigningKeyPEM()))
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("child was not SIGKILLed: %v\n%s", err, out)
			}
			e := h.entities()[in.Entity]
			if !h.entry(e.forwardKey(in)).Pending() {
				t.Fatalf("forward key %s = %q, want the pending claim", e.forwardKey(in), h.entry(e.forwardKey(in)).Value)
			}
			// The killed worker's claim: this process waits out its lease.
			if err := h.handle(in); err == nil || pipeline.IsPermanent(err) {
				t.Fatalf("a fresh claim by a dead worker must be waited out, got %v", err)
			}
			h.leaseExpired()
			defer func() { h.stage.now = time.Now }()
			before := len(h.records(kindOf(in.Entity)))
			h.handleUntilDone(in)
			if n := len(h.records(kindOf(in.Entity))); n != before {
				t.Fatalf("%d %s objects after recovery, %d before", n, in.Entity, before)
			}
			if h.live(e.forwardKey(in)) == "" {
				t.Fatal("no mapping after recovery")
			}
		})
	}
	if s := h.stage.Stats(); s.Adopted != 3 {
		t.Fatalf("counts %+v", s)
	}
}

// TestCrashChild is the child role: apply one intent and die by SIGKILL
// right after the create succeeded.
func TestCrashChild(t *testing.T) {
	if os.Getenv(envCrashChild) == "" {
		t.Skip("child role of TestSIGKILLBetweenPostAndMappingWrite")
	}
	nc, err := nats.Connect(os.Getenv(envCrashNATS))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	h := attachHarness(t, nc, os.Getenv(envCrashSim), []byte(os.Getenv(envCrashKey)))
	var in intent.Intent
	if err := json.Unmarshal([]byte(os.Getenv(envCrashIntent)), &in); err != nil {
		t.Fatal(err)
	}
	afterCreate = func() { _ = syscall.Kill(os.Getpid(), syscall.SIGKILL) }
	err = h.handle(in)
	t.Fatalf("child survived its create: %v", err)
}

func (h *harness) entities() map[intent.Entity]entity { return h.stage.entities }

func kindOf(e intent.Entity) string {
	switch e {
	case intent.Project:
		return v2sim.KindProject
	case intent.Committee:
		return v2sim.KindCommittee
	}
	return v2sim.KindMember
}

// attachHarness builds the stage in a child process, on the parent's
// server and simulator.
func attachHarness(t *testing.T, nc *nats.Conn, simURL string, keyPEM []byte) *harness {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	kv := func(name string) jetstream.KeyValue {
		b, err := js.KeyValue(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	h := &harness{t: t, mappings: kv(streams.BucketMappings), objects: kv(streams.BucketObjects)}
	h.v2 = clientFor(t, nc, simURL, keyPEM, h.objects)
	if h.stage, err = New(DefaultConfig(), Deps{V2: h.v2, Mappings: h.mappings, State: kv(streams.BucketState)}); err != nil {
		t.Fatal(err)
	}
	return h
}
