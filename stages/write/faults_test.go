package write

import (
	"fmt"
	"testing"
	"time"

	"github.com/linuxfoundation/v1sync/stages/idmap"
	"github.com/linuxfoundation/v1sync/stages/intent"
	"github.com/linuxfoundation/v1sync/stages/v2client"
	v2sim "github.com/linuxfoundation/v1sync/test/sim/v2"
)

// Under 30% 503s, latency jitter, project writes that fail after storing
// (500), and answers lost after the write, every intent converges (retried
// as the runner would) with exactly one v2 object per v1 record.
func TestFaultsConvergeWithoutDuplicates(t *testing.T) {
	h := newHarness(t, nil)
	root := h.sim.RootUID()
	faults := map[v2sim.Endpoint]v2sim.Fault{
		v2sim.AllEndpoints:    {ErrorRate: 0.3, ErrorStatus: 503, Jitter: 5 * time.Millisecond},
		v2sim.ProjectCreate:   {ErrorRate: 0.3, FailPublishRate: 0.5, Latency: 20 * time.Millisecond},
		v2sim.ProjectUpdate:   {ErrorRate: 0.3, FailPublishRate: 0.5},
		v2sim.CommitteeCreate: {ErrorRate: 0.25, DropAfterWriteRate: 0.5},
		v2sim.MemberCreate:    {ErrorRate: 0.25, DropAfterWriteRate: 0.3, Jitter: 30 * time.Millisecond},
		v2sim.MemberDelete:    {ErrorRate: 0.3, FailPublishRate: 0.5},
	}
	for ep, f := range faults {
		if err := h.sim.SetFault(ep, f); err != nil {
			t.Fatal(err)
		}
	}
	const projects, committees, members = 3, 2, 2
	var final, deletes []intent.Intent
	for p := range projects {
		psfid := fmt.Sprintf("a0P00000000000%dAAA", p)
		slug := fmt.Sprintf("proj-%d", p)
		h.handleUntilDone(projectIntent(t, psfid, 1, projectBase(root, slug, "P"), nil))
		last := projectIntent(t, psfid, 2, projectBase(root, slug, fmt.Sprintf("Project %d", p)), nil)
		h.handleUntilDone(last)
		final = append(final, last)
		puid := h.live(idmap.ProjectSFIDKey(psfid))
		for c := range committees {
			csfid := fmt.Sprintf("c%d%d000000-0000-0000-0000-000000000000", p, c)
			cin := committeeIntent(t, csfid, 1, puid, psfid, committeeBase(puid, fmt.Sprintf("Committee %d", c)))
			h.handleUntilDone(cin)
			ref := committeeRef{uid: h.live(idmap.CommitteeSFIDKey(csfid)), sfid: csfid, projectSFID: psfid}
			for m := range members {
				msfid := fmt.Sprintf("m%d%d%d00000-0000-0000-0000-000000000000", p, c, m)
				min := memberIntent(t, msfid, 1, ref, memberBase(fmt.Sprintf("u%d%d%d@example.org", p, c, m), "First"))
				h.handleUntilDone(min)
				h.handleUntilDone(memberIntent(t, msfid, 2, ref, memberBase(fmt.Sprintf("u%d%d%d@example.org", p, c, m), "Second")))
				if m == 0 {
					deletes = append(deletes, deleteIntent(min, 3))
				}
			}
		}
	}
	for _, d := range deletes {
		h.handleUntilDone(d)
	}
	h.sim.ClearFaults()
	// The faults did fire: 503s, 500s after a stored write, lost answers.
	for _, c := range []struct {
		ep     v2sim.Endpoint
		status int
	}{{v2sim.ProjectCreate, 500}, {v2sim.ProjectUpdate, 500}, {v2sim.CommitteeCreate, 0},
		{v2sim.MemberCreate, 0}, {v2sim.MemberCreate, 503}, {v2sim.MemberDelete, 503}} {
		if h.calls(c.ep, c.status) == 0 {
			t.Errorf("fault %s -> %d never fired", c.ep, c.status)
		}
	}

	if n := len(h.records(v2sim.KindProject)); n != projects+1 {
		t.Errorf("%d projects, want %d + ROOT", n, projects)
	}
	if n := len(h.records(v2sim.KindCommittee)); n != projects*committees {
		t.Errorf("%d committees, want %d", n, projects*committees)
	}
	if n := len(h.records(v2sim.KindMember)); n != projects*committees*(members-1) {
		t.Errorf("%d members, want %d", n, projects*committees*(members-1))
	}
	for _, in := range final {
		uid := h.live(idmap.ProjectSFIDKey(in.V1ID))
		base, _ := h.get(v2client.Projects, v2client.ProjectPath(uid))
		if base["name"] != "Project "+in.V1ID[14:15] {
			t.Errorf("project %s name %v", in.V1ID, base["name"])
		}
	}
	for _, o := range h.records(v2sim.KindMember) {
		if !containsAll(string(o.Value), `"first_name":"Second"`) {
			t.Errorf("member not converged: %s", o.Value)
		}
	}
	for _, d := range deletes {
		if !h.entry(idmap.MemberSFIDKey(d.V1ID)).Tombstoned() {
			t.Errorf("member %s not tombstoned", d.V1ID)
		}
	}
	t.Logf("counts %+v", h.stage.Stats())
}
