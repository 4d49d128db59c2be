package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/idmap"
	"github.com/linuxfoundation/v1sync/streams"
	v2sim "github.com/linuxfoundation/v1sync/test/sim/v2"
)

// Environment of a write-member child process.
const (
	envRole       = "V1SYNC_E2E_ROLE" // "write-member" selects the child role
	envNATS       = "V1SYNC_E2E_NATS_URL"
	envMember     = "V1SYNC_E2E_MEMBER"
	envSimURL     = "V1SYNC_E2E_SIM_URL"
	envAudiences  = "V1SYNC_E2E_AUDIENCES" // "<project>,<committee>"
	envKeyFile    = "V1SYNC_E2E_KEY_FILE"
	envCrashShare = "V1SYNC_E2E_CRASH_AFTER_POST" // share of successful POSTs after which the child SIGKILLs itself
	childAckWait  = 4 * time.Second
)

// Three write processes share the write stage as a consumer group while
// they are SIGKILLed right after a successful POST, before the ID-map write,
// and restarted: v2 never holds a duplicate, and every row ends at its
// latest v1 state.
func TestWriteProcessesKilledBetweenPostAndMapping(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test")
	}
	c := newChain(t, chainOptions{noWrite: true})
	if _, err := streams.ProvisionGroups(context.Background(), c.env.JS, c.topo, streams.StageWrite); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "heimdall.pem")
	if err := os.WriteFile(keyFile, c.sim.SigningKeyPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	pa, ca := c.sim.Audiences()
	sup := &supervisor{t: t, env: []string{envRole + "=write-member", envNATS + "=" + c.env.URL,
		envSimURL + "=" + c.sim.URL(), envAudiences + "=" + pa + "," + ca, envKeyFile + "=" + keyFile}, maxKills: 6}
	for i := range 3 {
		sup.start(fmt.Sprintf("m%d", i+1))
	}
	t.Cleanup(sup.stop)

	const nProjects, perProject = 5, 2
	want := map[string]func() bool{}
	for p := range nProjects {
		pr := c.row("salesforce.project__c", cloudLattice)
		psfid := fmt.Sprintf("a092W0000Kill%dAAAA", p)
		pr["sfid"], pr["slug__c"] = psfid, fmt.Sprintf("kill-%d", p)
		c.put(projects, pr)
		final := fmt.Sprintf("Killed Project %d", p)
		c.put(projects, edit(pr, map[string]any{"name": final}))
		want[psfid] = c.fieldIs(v2sim.BucketProjects, idmap.ProjectSFIDKey(psfid), "name", final)
		for k := range perProject {
			cm := c.row("platform.collaboration__c", harborTSC)
			csfid := fmt.Sprintf("a0D7k000Kill%d%dAAA", p, k)
			cm["sfid"], cm["project_name__c"], cm["mailing_list__c"] = csfid, psfid, fmt.Sprintf("Kill TSC %d", k)
			c.put(committees, cm)
			mb := c.row("platform.community__c", avery)
			msfid := fmt.Sprintf("a0E9q000Kill%d%dAAA", p, k)
			mb["sfid"], mb["collaboration_name__c"], mb["project_name__c"] = msfid, csfid, psfid
			mb["contactemail__c"] = fmt.Sprintf("kill.%d.%d@example.org", p, k)
			c.put(members, mb)
			c.put(members, edit(mb, map[string]any{"title": "Survivor"}))
			want[msfid] = c.fieldIs(v2sim.BucketMembers, idmap.MemberSFIDKey(msfid), "job_title", "Survivor")
		}
	}
	c.awaitAll(t, 120*time.Second, want)
	k := c.kinds()
	if k[v2sim.KindProject] != nProjects || k[v2sim.KindCommittee] != nProjects*perProject || k[v2sim.KindMember] != nProjects*perProject {
		t.Errorf("v2 holds %v, want %d projects, %d committees, %d members", k, nProjects, nProjects*perProject, nProjects*perProject)
	}
	if sup.kills.Load() == 0 {
		t.Errorf("no write process was killed between POST and mapping write")
	}
	t.Logf("write processes SIGKILLed after a POST: %d; restarts: %d", sup.kills.Load(), sup.restarts.Load())
}

// supervisor keeps three write-member children running: a child that died
// of SIGKILL is restarted under its member name (so it takes its share back
// at once); after maxKills crashes, restarts no longer crash.
type supervisor struct {
	t        *testing.T
	env      []string
	maxKills int64
	mu       sync.Mutex
	children map[string]*exec.Cmd
	stopping atomic.Bool
	kills    atomic.Int64
	restarts atomic.Int64
	wg       sync.WaitGroup
}

func (s *supervisor) start(member string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.startLocked(member)
}

func (s *supervisor) startLocked(member string) {
	share := "0.25"
	if s.kills.Load() >= s.maxKills {
		share = "0"
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestWriteMemberChild$")
	cmd.Env = append(os.Environ(), append(s.env, envMember+"="+member, envCrashShare+"="+share)...)
	out := new(bytes.Buffer) // read only after Wait, when the copying has ended
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	if s.children == nil {
		s.children = map[string]*exec.Cmd{}
	}
	s.children[member] = cmd
	s.wg.Add(1)
	go s.watch(member, cmd, out)
}

func (s *supervisor) watch(member string, cmd *exec.Cmd, out *bytes.Buffer) {
	defer s.wg.Done()
	err := cmd.Wait()
	var exit *exec.ExitError
	s.mu.Lock() // restarts are decided under the lock stop signals under
	defer s.mu.Unlock()
	if s.stopping.Load() || !errors.As(err, &exit) {
		return
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
		s.kills.Add(1)
		s.restarts.Add(1)
		s.startLocked(member)
		return
	}
	tail := out.Bytes()
	tail = tail[max(0, len(tail)-4096):]
	s.t.Errorf("write member %s exited: %v; its output ends:\n%s", member, err, tail)
}

// stop ends every child with SIGTERM (a graceful leave), then waits; a
// child still running after 30 s is killed.
func (s *supervisor) stop() {
	s.stopping.Store(true)
	s.signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		s.t.Errorf("write members did not leave within 30s after SIGTERM")
		s.signal(syscall.SIGKILL)
		<-done
	}
}

func (s *supervisor) signal(sig os.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, cmd := range s.children {
		_ = cmd.Process.Signal(sig)
	}
}

// TestWriteMemberChild is the child role: one write process in the write
// stage's consumer group. It is not a test on its own.
func TestWriteMemberChild(t *testing.T) {
	if os.Getenv(envRole) != "write-member" {
		t.Skip("child role of TestWriteProcessesKilledBetweenPostAndMapping")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	// Without reconnects a child ends when the test's server is gone.
	nc, err := nats.Connect(os.Getenv(envNATS), nats.NoReconnect())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	simURL := crashingProxy(t, os.Getenv(envSimURL), os.Getenv(envCrashShare))
	pem, err := os.ReadFile(os.Getenv(envKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	pa, ca, _ := strings.Cut(os.Getenv(envAudiences), ",")
	st := newWriteStage(t, nc, js, target{ProjectURL: simURL, CommitteeURL: simURL, ProjectAudience: pa,
		CommitteeAudience: ca, JWKSURL: os.Getenv(envSimURL) + "/.well-known/jwks", KeyPEM: pem})
	topo := streams.DefaultConfig()
	topo.Partitions = 4
	spec, _ := topo.Group(streams.StageWrite)
	rcfg := runnerConfig(childAckWait)
	r, err := pipeline.NewRunner(rcfg, st, js)
	if err != nil {
		t.Fatal(err)
	}
	gc := pipeline.DefaultGroupConfig()
	gc.Stream, gc.Stage, gc.Member = spec.Stream, spec.Stage, os.Getenv(envMember)
	gc.AckWait, gc.MaxDeliver = childAckWait, topo.MaxDeliver
	gc.Prefetch, gc.MaxAckPending = rcfg.PullMaxMessages, rcfg.MaxHeld+rcfg.PullMaxMessages
	gc.Heartbeat, gc.DeadAfter, gc.HandoverTimeout = 200*time.Millisecond, 2*time.Second, 3*time.Second
	if err := pipeline.RunGroup(ctx, js, gc, r); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}

// crashingProxy forwards to the simulator and, after a share of successful
// POSTs (the v2 object now exists), SIGKILLs this process before the
// answer reaches the write stage, i.e. before it writes the ID map.
func crashingProxy(t *testing.T, simURL, share string) string {
	p, err := strconv.ParseFloat(share, 64)
	if err != nil || p == 0 {
		return simURL
	}
	target, err := url.Parse(simURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.Method == http.MethodPost && resp.StatusCode == http.StatusCreated && rand.Float64() < p {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		}
		return nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = http.Serve(ln, proxy) }()
	return "http://" + ln.Addr().String()
}

// awaitAll waits until every check holds; on timeout it names the rows that
// did not converge, their ID-map entries and the dead letters.
func (c *chain) awaitAll(t *testing.T, within time.Duration, want map[string]func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var missing []string
		for sfid, ok := range want {
			if !ok() {
				missing = append(missing, sfid)
			}
		}
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, sfid := range missing {
				var entries []string
				for _, key := range []string{idmap.ProjectSFIDKey(sfid), idmap.CommitteeSFIDKey(sfid), idmap.MemberSFIDKey(sfid)} {
					if e, found, _ := c.ids.Get(context.Background(), key); found {
						entries = append(entries, key+"="+e.Value)
					}
				}
				t.Errorf("%s not converged; id map: %v", sfid, entries)
			}
			for _, d := range c.deadLetters() {
				t.Errorf("dead letter: %s", d)
			}
			t.Fatalf("%d rows not converged after %s; v2 holds %v", len(missing), within, c.kinds())
		}
		time.Sleep(100 * time.Millisecond) // polling interval, not synchronisation
	}
}
