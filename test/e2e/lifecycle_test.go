package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/idmap"
	"github.com/linuxfoundation/v1sync/stages/mapids"
	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
	v2sim "github.com/linuxfoundation/v1sync/test/sim/v2"
)

// Sample rows used across the tests (see test/v1data/README.md).
const (
	openOrbit    = "a092W0000h8PYh6QAG" // top level, Active
	cloudLattice = "a092W0000uIINFIQA5" // top level; URLs without scheme; 'Membership; Crowdfunding'
	dataHarbor   = "a092W0000RqzyFqQQI" // top level; parent of harbor-lake
	harborLake   = "a092W0000fMsdRZQAZ" // child; model ' Membership ;  Crowdfunding '
	harborTSC    = "a0D7k0000rwkgtTEAQ" // committee of harbor-lake; website without scheme
	orbitTAC     = "a0D7k00007i95ubEAA" // voting committee of open-orbit
	avery        = "a0E9q0000LHMi9KEQT" // fully populated member of orbitTAC
)

// field reads a dotted path ("role.name") of a stored record as text.
func field(rec map[string]any, path string) string {
	var v any = rec
	for _, p := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return "<missing>"
		}
		v = m[p]
	}
	return fmt.Sprint(v)
}

func expectFields(t *testing.T, what string, rec map[string]any, want map[string]string) {
	t.Helper()
	if rec == nil {
		t.Fatalf("%s: no v2 record", what)
	}
	for path, w := range want {
		if got := field(rec, path); got != w {
			t.Errorf("%s: %s = %q, want %q", what, path, got, w)
		}
	}
}

// Create, update, unchanged update (no PUT) and delete of every entity,
// through the map and write runners, with exact v2 values of sample rows.
func TestLifecyclePerEntity(t *testing.T) {
	c := newChain(t, chainOptions{})
	for _, p := range []string{openOrbit, cloudLattice, dataHarbor, harborLake} {
		c.put(projects, c.row("salesforce.project__c", p))
	}
	c.put(committees, c.row("platform.collaboration__c", harborTSC))
	c.put(committees, c.row("platform.collaboration__c", orbitTAC))
	c.put(members, c.row("platform.community__c", avery))

	cl := c.uid(idmap.ProjectSFIDKey(cloudLattice))
	expectFields(t, "cloud-lattice", c.record(v2sim.BucketProjects, cl), map[string]string{
		"slug": "cloud-lattice", "name": "Cloud Lattice Foundation", "parent_uid": c.sim.RootUID(), "public": "true",
		"website_url": "https://cloudlattice.example", "charter_url": "https://cloudlattice.example/governance/charter",
		"funding_model": "[Membership Crowdfunding]", "stage": "Active", "legal_entity_type": "Incorporated Entity",
		"formation_date": "2020-09-14T00:00:00Z", "autojoin_enabled": "false",
	})
	hl := c.uid(idmap.ProjectSFIDKey(harborLake))
	expectFields(t, "harbor-lake", c.record(v2sim.BucketProjects, hl), map[string]string{
		"parent_uid": c.uid(idmap.ProjectSFIDKey(dataHarbor)), "funding_model": "[Membership Crowdfunding]",
	})
	tsc := c.uid(idmap.CommitteeSFIDKey(harborTSC))
	expectFields(t, "Harbor Lake TSC", c.record(v2sim.BucketCommittees, tsc), map[string]string{
		"name": "Harbor Lake TSC", "project_uid": hl, "category": "Technical Steering Committee",
		"website": "https://lake.dataharbor.example/tsc", "enable_voting": "true", "sso_group_enabled": "true",
		"public": "false", "mailing_list": "harbor-lake-tsc@lists.harbor-lake.example",
	})
	m := c.uid(idmap.MemberSFIDKey(avery))
	expectFields(t, "member avery", c.record(v2sim.BucketMembers, m), map[string]string{
		"committee_uid": c.uid(idmap.CommitteeSFIDKey(orbitTAC)), "email": "avery.stone@example.com",
		"first_name": "Avery", "last_name": "Stone", "job_title": "Executive Director", "status": "Active",
		"appointed_by": "Vote of TAC Committee", "role.name": "Chair", "role.start_date": "2025-02-01",
		"role.end_date": "2027-01-31", "voting.status": "Voting Rep", "organization.id": "0014x0000o0PRnaAAG",
	})

	// Updates of every entity land in v2.
	puts := c.sim.CallCount(v2sim.ProjectUpdate, 200)
	c.put(projects, edit(c.row("salesforce.project__c", cloudLattice), map[string]any{"name": "Cloud Lattice Foundation II"}))
	c.put(committees, edit(c.row("platform.collaboration__c", harborTSC), map[string]any{"description__c": "Steers Harbor Lake."}))
	c.put(members, edit(c.row("platform.community__c", avery), map[string]any{"title": "Chief Maintainer"}))
	c.awaitField(v2sim.BucketProjects, cl, "name", "Cloud Lattice Foundation II")
	c.awaitField(v2sim.BucketCommittees, tsc, "description", "Steers Harbor Lake.")
	c.awaitField(v2sim.BucketMembers, m, "job_title", "Chief Maintainer")
	if c.sim.CallCount(v2sim.ProjectUpdate, 200) <= puts {
		t.Errorf("project update made no PUT")
	}

	// A v1 edit that changes nothing v2 shows makes no PUT.
	c.settled()
	unchanged := c.writer.Stats().Unchanged
	puts = c.sim.CallCount(v2sim.ProjectUpdate, 200)
	c.put(projects, edit(c.row("salesforce.project__c", cloudLattice), map[string]any{"name": "Cloud Lattice Foundation II", "_hc_lastop": "UPDATED"}))
	natstest.Eventually(t, 30*time.Second, "unchanged update counted", func() bool { return c.writer.Stats().Unchanged > unchanged })
	if n := c.sim.CallCount(v2sim.ProjectUpdate, 200); n != puts {
		t.Errorf("unchanged update made %d PUTs", n-puts)
	}

	// Deletes: soft-deleted member, KV-deleted committee, soft-deleted project.
	gone := c.row("salesforce.project__c", cloudLattice)
	gone["sfid"], gone["slug__c"], gone["model__c"] = "a092W0000E2Edel0AA", "e2e-deleted", "Crowdfunding"
	c.put(projects, gone)
	goneUID := c.uid(idmap.ProjectSFIDKey("a092W0000E2Edel0AA"))
	c.put(members, edit(c.row("platform.community__c", avery), map[string]any{"isdeleted": true}))
	if err := c.objects.Delete(context.Background(), committees+"."+harborTSC); err != nil {
		t.Fatal(err)
	}
	c.put(projects, edit(gone, map[string]any{"isdeleted": true}))
	for key, what := range map[string]struct{ bucket, uid string }{
		idmap.MemberSFIDKey(avery):                 {v2sim.BucketMembers, m},
		idmap.CommitteeSFIDKey(harborTSC):          {v2sim.BucketCommittees, tsc},
		idmap.ProjectSFIDKey("a092W0000E2Edel0AA"): {v2sim.BucketProjects, goneUID},
	} {
		natstest.Eventually(t, 30*time.Second, key+" tombstoned and gone from v2", func() bool {
			e, _, err := c.ids.Get(context.Background(), key)
			return err == nil && e.Tombstoned() && c.record(what.bucket, what.uid) == nil
		})
	}
	c.settled()
	if k := c.kinds(); k[v2sim.KindProject] != 4 || k[v2sim.KindCommittee] != 1 || k[v2sim.KindMember] != 0 {
		t.Errorf("v2 holds %v, want 4 projects, 1 committee, 0 members", k)
	}
}

// A committee that arrives before its project, and a member before its
// committee, wait and land once the parent lands; nothing is dead-lettered.
func TestChildrenBeforeParentsLandOnceParentsDo(t *testing.T) {
	c := newChain(t, chainOptions{})
	c.put(members, c.row("platform.community__c", avery))
	c.put(committees, c.row("platform.collaboration__c", orbitTAC))
	natstest.Eventually(t, 10*time.Second, "children waiting for parents", func() bool {
		return c.mapper.Stats().ParentWaits.Load() >= 2
	})
	c.put(projects, c.row("salesforce.project__c", openOrbit))
	m := c.uid(idmap.MemberSFIDKey(avery))
	cuid := c.uid(idmap.CommitteeSFIDKey(orbitTAC))
	expectFields(t, "committee", c.record(v2sim.BucketCommittees, cuid), map[string]string{
		"project_uid": c.uid(idmap.ProjectSFIDKey(openOrbit))})
	expectFields(t, "member", c.record(v2sim.BucketMembers, m), map[string]string{"committee_uid": cuid})
	c.settled()
	if n := c.dlq(); n != 0 {
		t.Errorf("%d dead letters", n)
	}
}

// A committee dead-lettered because its project never came lands once the
// project exists and its dead letter is redriven.
func TestRedrivenParentUnmappedCommitteeLands(t *testing.T) {
	c := newChain(t, chainOptions{parentAttempts: 3})
	c.put(committees, c.row("platform.collaboration__c", orbitTAC))
	natstest.Eventually(t, 20*time.Second, "committee dead-lettered", func() bool { return c.dlq() == 1 })
	c.put(projects, c.row("salesforce.project__c", openOrbit))
	puid := c.uid(idmap.ProjectSFIDKey(openOrbit))

	ctx := context.Background()
	var letters []*pipeline.DeadLetter
	if err := pipeline.ReadDeadLetters(ctx, c.env.JS, pipeline.DeadLetterFilter{Stage: streams.StageMap,
		Reason: string(mapids.ReasonParentUnmapped)}, func(d *pipeline.DeadLetter) error {
		letters = append(letters, d)
		return nil
	}); err != nil || len(letters) != 1 {
		t.Fatalf("dead letters: %d, %v", len(letters), err)
	}
	if o, err := pipeline.Redrive(ctx, c.env.JS, letters[0]); err != nil || o != pipeline.Redriven {
		t.Fatalf("redrive: %v, %v", o, err)
	}
	if err := pipeline.ForgetDeadLetter(ctx, c.env.JS, letters[0].Seq); err != nil {
		t.Fatal(err)
	}
	cuid := c.uid(idmap.CommitteeSFIDKey(orbitTAC))
	expectFields(t, "committee", c.record(v2sim.BucketCommittees, cuid), map[string]string{"project_uid": puid})
	c.settled()
	if n := c.dlq(); n != 0 {
		t.Errorf("%d dead letters after the redrive", n)
	}
	if k := c.kinds(); k[v2sim.KindCommittee] != 1 {
		t.Errorf("v2 holds %v, want one committee", k)
	}
}

// A row last modified by v1sync's own client is not echoed: no v2 call.
func TestLoopGuardMakesNoV2Call(t *testing.T) {
	c := newChain(t, chainOptions{})
	c.put(projects, c.row("salesforce.project__c", openOrbit))
	c.uid(idmap.ProjectSFIDKey(openOrbit))
	c.settled()
	calls, guarded := c.apiCalls(), c.mapper.Stats().LoopGuarded.Load()
	own := edit(c.row("salesforce.project__c", openOrbit), map[string]any{"name": "Renamed by v1sync"})
	own["lastmodifiedbyid"] = "v1sync@clients"
	c.put(projects, own)
	c.put(projects, c.row("salesforce.project__c", "a092W0000tDXfCkQAL")) // the sample's loop-guard row
	natstest.Eventually(t, 10*time.Second, "both rows loop-guarded", func() bool {
		return c.mapper.Stats().LoopGuarded.Load() >= guarded+2
	})
	c.settled()
	if n := c.apiCalls() - calls; n != 0 {
		t.Errorf("%d v2 calls for v1sync's own writes: %v", n, c.sim.Calls())
	}
	if v, _ := c.ids.Live(context.Background(), idmap.ProjectSFIDKey("a092W0000tDXfCkQAL")); v != "" {
		t.Errorf("loop-guarded row mapped to %s", v)
	}
}
