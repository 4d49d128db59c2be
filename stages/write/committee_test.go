package write

import (
	"context"
	"testing"

	"github.com/linuxfoundation/v1sync/stages/idmap"
	"github.com/linuxfoundation/v1sync/stages/v2client"
	v2sim "github.com/linuxfoundation/v1sync/test/sim/v2"
)

const projectSFID = "a0P0000000000P1AAA"

// withProject creates the parent project through the stage.
func withProject(t *testing.T, h *harness, slug string) string {
	t.Helper()
	h.mustHandle(projectIntent(t, projectSFID, 1, projectBase(h.sim.RootUID(), slug, "Parent "+slug), nil))
	return h.live(idmap.ProjectSFIDKey(projectSFID))
}

func TestCommitteeCreateUpdateUnchangedDelete(t *testing.T) {
	h := newHarness(t, nil)
	puid := withProject(t, h, "parent")
	const sfid = "c0000000-0000-0000-0000-000000000001"
	in := committeeIntent(t, sfid, 1, puid, projectSFID, committeeBase(puid, "Governing Board"))
	h.mustHandle(in)

	cuid := h.live(idmap.CommitteeSFIDKey(sfid))
	if cuid == "" || h.live(idmap.CommitteeUIDKey(cuid)) != projectSFID+":"+sfid {
		t.Fatalf("mappings: %q -> %q", cuid, h.live(idmap.CommitteeUIDKey(cuid)))
	}
	c, _ := h.get(v2client.Committees, v2client.CommitteePath(cuid))
	sso, _ := c["sso_group_name"].(string)
	if c["name"] != "Governing Board" || sso == "" {
		t.Fatalf("created: %v", c)
	}
	if got := h.sso.got(); len(got) != 1 || got[0] != projectSFID+"/"+sfid+"="+sso {
		t.Fatalf("SSO write-back %v", got)
	}

	b := committeeBase(puid, "Governing Board")
	b["description"] = "changed"
	h.mustHandle(committeeIntent(t, sfid, 2, puid, projectSFID, b))
	if c, _ := h.get(v2client.Committees, v2client.CommitteePath(cuid)); c["description"] != "changed" {
		t.Fatalf("after update: %v", c)
	}
	if h.calls(v2sim.CommitteeUpdate, 200) != 1 {
		t.Fatalf("calls %+v", h.sim.Calls())
	}
	h.sim.ResetCalls()
	h.mustHandle(committeeIntent(t, sfid, 3, puid, projectSFID, b))
	if c := h.sim.Calls(); len(c) != 0 {
		t.Fatalf("unchanged update made calls: %+v", c)
	}

	h.mustHandle(deleteIntent(in, 4))
	if _, found := h.get(v2client.Committees, v2client.CommitteePath(cuid)); found {
		t.Fatal("committee still in v2")
	}
	if !h.entry(idmap.CommitteeSFIDKey(sfid)).Tombstoned() || !h.entry(idmap.CommitteeUIDKey(cuid)).Tombstoned() {
		t.Fatal("committee mappings not tombstoned")
	}
}

func TestCommitteeV2OnlyFieldsSurvive(t *testing.T) {
	h := newHarness(t, nil)
	puid := withProject(t, h, "parent")
	const sfid = "c0000000-0000-0000-0000-000000000002"
	h.mustHandle(committeeIntent(t, sfid, 1, puid, projectSFID, committeeBase(puid, "TSC")))
	cuid := h.live(idmap.CommitteeSFIDKey(sfid))

	ctx := context.Background()
	cur, err := h.v2.Get(ctx, v2client.Committees, v2client.CommitteePath(cuid))
	if err != nil {
		t.Fatal(err)
	}
	body := writable(cur.Body, committeeEntity{}.readOnly())
	body["requires_review"] = true
	body["join_mode"] = "open"
	body["scope"] = []any{"code review"}
	if _, err := h.v2.Put(ctx, v2client.Committees, v2client.CommitteePath(cuid), "someone@clients", cur.ETag, nil, body); err != nil {
		t.Fatal(err)
	}
	b := committeeBase(puid, "TSC")
	b["enable_voting"] = true
	h.mustHandle(committeeIntent(t, sfid, 2, puid, projectSFID, b))
	c, _ := h.get(v2client.Committees, v2client.CommitteePath(cuid))
	if c["enable_voting"] != true || c["requires_review"] != true || c["join_mode"] != "open" || c["scope"] == nil {
		t.Fatalf("after v1 update: %v", c)
	}
}

func TestCommitteeCrashBetweenPostAndMappingAdopts(t *testing.T) {
	h := newHarness(t, nil)
	puid := withProject(t, h, "parent")
	const sfid = "c0000000-0000-0000-0000-000000000003"
	in := committeeIntent(t, sfid, 1, puid, projectSFID, committeeBase(puid, "Marketing"))
	ctx := context.Background()
	if _, err := h.ids.Claim(ctx, idmap.CommitteeSFIDKey(sfid)); err != nil {
		t.Fatal(err)
	}
	body, _ := createBody(committeeEntity{}, in)
	created, err := h.v2.Post(ctx, v2client.Committees, v2client.CommitteesPath(), "", nil, body)
	if err != nil {
		t.Fatal(err)
	}
	h.leaseExpired()
	// Retried as the runner would: the committee's indexer event may not be
	// captured yet, in which case the POST answers 409 and the stage waits.
	h.handleUntilDone(in)
	if got := h.live(idmap.CommitteeSFIDKey(sfid)); got != created["uid"] {
		t.Fatalf("adopted %q, want %v", got, created["uid"])
	}
	if n := len(h.records(v2sim.KindCommittee)); n != 1 {
		t.Fatalf("%d committees, want 1", n)
	}
	if h.calls(v2sim.CommitteeCreate, 201) != 1 {
		t.Fatalf("calls %+v", h.sim.Calls())
	}
}

// A failed SSO write-back does not fail the intent (the mappings are
// written); it is counted.
func TestSSOWriteBackFailureIsCounted(t *testing.T) {
	h := newHarness(t, nil)
	puid := withProject(t, h, "parent")
	h.sso.fail = errTest
	h.mustHandle(committeeIntent(t, "c0000000-0000-0000-0000-000000000004", 1, puid, projectSFID, committeeBase(puid, "Legal")))
	if h.live(idmap.CommitteeSFIDKey("c0000000-0000-0000-0000-000000000004")) == "" || h.stage.Stats().SSOWriteBackFailed != 1 {
		t.Fatalf("counts %+v", h.stage.Stats())
	}
}
