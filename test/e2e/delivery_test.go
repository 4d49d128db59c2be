package e2e

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/linuxfoundation/v1sync/stages/idmap"
	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
	v2sim "github.com/linuxfoundation/v1sync/test/sim/v2"
)

// intentsOf returns every message on V2_INTENTS keyed by key, in stream order.
func (c *chain) intentsOf(key string) []*nats.Msg {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := c.env.JS.Stream(ctx, streams.V2Intents)
	if err != nil {
		c.t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		c.t.Fatal(err)
	}
	var out []*nats.Msg
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			continue
		}
		if m.Header.Get(streams.HeaderKey) == key {
			out = append(out, &nats.Msg{Subject: m.Subject, Header: m.Header, Data: m.Data})
		}
	}
	return out
}

// Every change of one key delivered again, duplicated and in reverse order,
// after the latest was applied: the version guard drops the stale ones and
// v2 ends at the latest v1 state with one object.
func TestDuplicateAndOutOfOrderDeliveryEndsAtLatest(t *testing.T) {
	c := newChain(t, chainOptions{})
	key := projects + "." + cloudLattice
	base := c.row("salesforce.project__c", cloudLattice)
	c.put(projects, base)
	uid := c.uid(idmap.ProjectSFIDKey(cloudLattice))
	var last string
	for i := 2; i <= 5; i++ {
		last = fmt.Sprintf("Cloud Lattice v%d", i)
		c.put(projects, edit(base, map[string]any{"name": last}))
	}
	c.put(projects, edit(base, map[string]any{"name": last})) // a duplicate of the latest state
	c.awaitField(v2sim.BucketProjects, uid, "name", last)
	c.settled()

	old := c.intentsOf(key)
	if len(old) < 2 {
		t.Fatalf("%d intents for %s", len(old), key)
	}
	stale := c.writer.Stats().StaleDropped
	replay := slices.Clone(old)
	slices.Reverse(replay)
	replay = append(replay, old[len(old)-1], old[0])
	for i, m := range replay {
		m.Header.Set(streams.HeaderMsgID, fmt.Sprintf("replay-%d", i))
		if _, err := c.env.JS.PublishMsg(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	natstest.Eventually(t, 30*time.Second, "replayed intents dropped as stale", func() bool {
		return c.writer.Stats().StaleDropped >= stale+int64(len(replay))
	})
	c.settled()
	if got := field(c.record(v2sim.BucketProjects, uid), "name"); got != last {
		t.Errorf("name %q after replay, want %q", got, last)
	}
	if k := c.kinds(); k[v2sim.KindProject] != 1 {
		t.Errorf("%d projects, want 1", k[v2sim.KindProject])
	}
}

// Under 30% 503s, latency spikes, writes that fail after storing (500) and
// answers lost after the write, every row converges to its latest v1 state
// with exactly one v2 object.
func TestSimulatorFaultsConvergeWithoutDuplicates(t *testing.T) {
	c := newChain(t, chainOptions{})
	for ep, f := range map[v2sim.Endpoint]v2sim.Fault{
		v2sim.AllEndpoints:    {ErrorRate: 0.3, ErrorStatus: 503, Jitter: 20 * time.Millisecond},
		v2sim.ProjectCreate:   {ErrorRate: 0.3, ErrorStatus: 503, FailPublishRate: 0.5, Latency: 30 * time.Millisecond, Jitter: 100 * time.Millisecond},
		v2sim.ProjectUpdate:   {ErrorRate: 0.3, ErrorStatus: 503, FailPublishRate: 0.3},
		v2sim.CommitteeCreate: {ErrorRate: 0.3, ErrorStatus: 503, DropAfterWriteRate: 0.3},
		v2sim.MemberCreate:    {ErrorRate: 0.3, ErrorStatus: 503, DropAfterWriteRate: 0.3, Jitter: 50 * time.Millisecond},
	} {
		if err := c.sim.SetFault(ep, f); err != nil {
			t.Fatal(err)
		}
	}
	const nProjects, perProject = 6, 2
	var want []func() bool
	for p := range nProjects {
		pr := c.row("salesforce.project__c", cloudLattice)
		psfid := fmt.Sprintf("a092W0000Fault%dAAA", p)
		pr["sfid"], pr["slug__c"] = psfid, fmt.Sprintf("fault-%d", p)
		c.put(projects, pr)
		final := fmt.Sprintf("Fault Project %d", p)
		c.put(projects, edit(pr, map[string]any{"name": final}))
		want = append(want, c.fieldIs(v2sim.BucketProjects, idmap.ProjectSFIDKey(psfid), "name", final))
		for k := range perProject {
			cm := c.row("platform.collaboration__c", harborTSC)
			csfid := fmt.Sprintf("a0D7k000Fault%d%dAA", p, k)
			cm["sfid"], cm["project_name__c"], cm["mailing_list__c"] = csfid, psfid, fmt.Sprintf("Fault TSC %d", k)
			c.put(committees, cm)
			mb := c.row("platform.community__c", avery)
			msfid := fmt.Sprintf("a0E9q000Fault%d%dAA", p, k)
			mb["sfid"], mb["collaboration_name__c"], mb["project_name__c"] = msfid, csfid, psfid
			mb["contactemail__c"] = fmt.Sprintf("fault.%d.%d@example.org", p, k)
			c.put(members, mb)
			c.put(members, edit(mb, map[string]any{"title": "Final Title"}))
			want = append(want, c.fieldIs(v2sim.BucketMembers, idmap.MemberSFIDKey(msfid), "job_title", "Final Title"))
		}
	}
	natstest.Eventually(t, 90*time.Second, "every row at its latest state in v2", func() bool {
		for _, ok := range want {
			if !ok() {
				return false
			}
		}
		return true
	})
	c.settled()
	c.sim.ClearFaults()
	for _, f := range []struct {
		ep     v2sim.Endpoint
		status int
	}{{v2sim.ProjectCreate, 503}, {v2sim.ProjectCreate, 500}, {v2sim.CommitteeCreate, 0}, {v2sim.MemberCreate, 0}} {
		if c.sim.CallCount(f.ep, f.status) == 0 {
			t.Logf("fault %s -> %d never fired this run", f.ep, f.status)
		}
	}
	k := c.kinds()
	if k[v2sim.KindProject] != nProjects || k[v2sim.KindCommittee] != nProjects*perProject || k[v2sim.KindMember] != nProjects*perProject {
		t.Errorf("v2 holds %v, want %d projects, %d committees, %d members", k, nProjects, nProjects*perProject, nProjects*perProject)
	}
	if n := c.dlq(); n != 0 {
		t.Errorf("%d dead letters", n)
	}
	t.Logf("write stage: %+v", c.writer.Stats())
}

// fieldIs reports whether the v2 object mapped from mapKey has field = want.
func (c *chain) fieldIs(bucket, mapKey, name, want string) func() bool {
	return func() bool {
		v, err := c.ids.Live(context.Background(), mapKey)
		if err != nil || v == "" {
			return false
		}
		_, uid := idmap.SplitMemberSFIDValue(v)
		rec := c.record(bucket, uid)
		return rec != nil && field(rec, name) == want
	}
}
