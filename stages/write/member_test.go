package write

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/linuxfoundation/v1sync/stages/idmap"
	"github.com/linuxfoundation/v1sync/stages/v2client"
	v2sim "github.com/linuxfoundation/v1sync/test/sim/v2"
)

const committeeSFID = "c0000000-0000-0000-0000-0000000000c1"

func withCommittee(t *testing.T, h *harness) committeeRef {
	t.Helper()
	puid := withProject(t, h, "parent")
	b := committeeBase(puid, "Board")
	b["sso_group_enabled"] = false
	h.mustHandle(committeeIntent(t, committeeSFID, 1, puid, projectSFID, b))
	return committeeRef{uid: h.live(idmap.CommitteeSFIDKey(committeeSFID)), sfid: committeeSFID, projectSFID: projectSFID}
}

// skipNotification waits for a committee-api member event and returns its
// skip_notification flag.
func skipNotification(t *testing.T, ch chan *nats.Msg) bool {
	t.Helper()
	select {
	case m := <-ch:
		var ev struct {
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal(m.Data, &ev); err != nil {
			t.Fatal(err)
		}
		return ev.Data["skip_notification"] == true
	case <-time.After(10 * time.Second):
		t.Fatal("no committee-api member event")
		return false
	}
}

func TestMemberCreateUpdateUnchangedDelete(t *testing.T) {
	h := newHarness(t, nil)
	c := withCommittee(t, h)
	events := make(chan *nats.Msg, 16)
	sub, err := h.env.NC.ChanSubscribe("lfx.committee-api.committee_member.*", events)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()

	const sfid = "m0000000-0000-0000-0000-000000000001"
	in := memberIntent(t, sfid, 1, c, memberBase("Jane.Doe@example.org", "Jane"))
	h.mustHandle(in)
	fwd := h.live(idmap.MemberSFIDKey(sfid))
	cuid, muid := idmap.SplitMemberSFIDValue(fwd)
	if cuid != c.uid || muid == "" {
		t.Fatalf("forward mapping %q", fwd)
	}
	if h.live(idmap.MemberRecordKey(muid)) != sfid ||
		h.live(idmap.MemberUIDKey(muid)) != idmap.MemberUIDValue(projectSFID, committeeSFID, in.ContactSFID) {
		t.Fatal("member reverse mappings")
	}
	if !skipNotification(t, events) {
		t.Fatal("member create without X-Skip-Notification: true")
	}

	b := memberBase("Jane.Doe@example.org", "Janet")
	h.mustHandle(memberIntent(t, sfid, 2, c, b))
	m, _ := h.get(v2client.Committees, v2client.MemberPath(c.uid, muid))
	if m["first_name"] != "Janet" || h.calls(v2sim.MemberUpdate, 200) != 1 {
		t.Fatalf("after update: %v, calls %+v", m, h.sim.Calls())
	}
	<-events // the update's event
	h.sim.ResetCalls()
	h.mustHandle(memberIntent(t, sfid, 3, c, b))
	if calls := h.sim.Calls(); len(calls) != 0 {
		t.Fatalf("unchanged update made calls: %+v", calls)
	}

	h.mustHandle(deleteIntent(in, 4))
	if _, found := h.get(v2client.Committees, v2client.MemberPath(c.uid, muid)); found {
		t.Fatal("member still in v2")
	}
	if !skipNotification(t, events) {
		t.Fatal("member delete without X-Skip-Notification: true")
	}
	for _, k := range []string{idmap.MemberSFIDKey(sfid), idmap.MemberUIDKey(muid), idmap.MemberRecordKey(muid)} {
		if !h.entry(k).Tombstoned() {
			t.Fatalf("%s not tombstoned", k)
		}
	}
}

func TestMemberCrashBetweenPostAndMappingAdopts(t *testing.T) {
	h := newHarness(t, nil)
	c := withCommittee(t, h)
	const sfid = "m0000000-0000-0000-0000-000000000002"
	in := memberIntent(t, sfid, 1, c, memberBase("john@example.org", "John"))
	ctx := context.Background()
	if _, err := h.ids.Claim(ctx, idmap.MemberSFIDKey(sfid)); err != nil {
		t.Fatal(err)
	}
	body, _ := createBody(memberEntity{}, in)
	body["email"] = "John@Example.org" // v2 matches emails case-insensitively
	created, err := h.v2.Post(ctx, v2client.Committees, v2client.MembersPath(c.uid), "", nil, body)
	if err != nil {
		t.Fatal(err)
	}
	h.leaseExpired()
	h.sim.ResetCalls()
	h.mustHandle(in)
	_, muid := idmap.SplitMemberSFIDValue(h.live(idmap.MemberSFIDKey(sfid)))
	if muid != created["uid"] || h.calls(v2sim.MemberCreate, 201)+h.calls(v2sim.MemberCreate, 409) != 0 {
		t.Fatalf("adopted %q (want %v), calls %+v", muid, created["uid"], h.sim.Calls())
	}
	if n := len(h.records(v2sim.KindMember)); n != 1 {
		t.Fatalf("%d members, want 1", n)
	}
}

// A member whose committee changed in v1 is removed from the old committee
// and created in the new one (v2 member identity is committee + email).
func TestMemberMovedToAnotherCommittee(t *testing.T) {
	h := newHarness(t, nil)
	c1 := withCommittee(t, h)
	puid := h.live(idmap.ProjectSFIDKey(projectSFID))
	const c2sfid = "c0000000-0000-0000-0000-0000000000c2"
	b := committeeBase(puid, "Other")
	b["sso_group_enabled"] = false
	h.mustHandle(committeeIntent(t, c2sfid, 1, puid, projectSFID, b))
	c2 := committeeRef{uid: h.live(idmap.CommitteeSFIDKey(c2sfid)), sfid: c2sfid, projectSFID: projectSFID}

	const sfid = "m0000000-0000-0000-0000-000000000003"
	h.mustHandle(memberIntent(t, sfid, 1, c1, memberBase("mover@example.org", "Mo")))
	_, old := idmap.SplitMemberSFIDValue(h.live(idmap.MemberSFIDKey(sfid)))
	h.mustHandle(memberIntent(t, sfid, 2, c2, memberBase("mover@example.org", "Mo")))
	cuid, muid := idmap.SplitMemberSFIDValue(h.live(idmap.MemberSFIDKey(sfid)))
	if cuid != c2.uid || muid == old {
		t.Fatalf("after move: committee %s member %s (old %s)", cuid, muid, old)
	}
	if _, found := h.get(v2client.Committees, v2client.MemberPath(c1.uid, old)); found {
		t.Fatal("old member still in the old committee")
	}
	if n := len(h.records(v2sim.KindMember)); n != 1 {
		t.Fatalf("%d members, want 1", n)
	}
	if !h.entry(idmap.MemberUIDKey(old)).Tombstoned() {
		t.Fatal("old member's reverse mapping not tombstoned")
	}
}

func TestMemberUpsertWithoutCommitteeIsMalformed(t *testing.T) {
	h := newHarness(t, nil)
	in := memberIntent(t, "m0000000-0000-0000-0000-000000000004", 1, committeeRef{}, memberBase("x@example.org", "X"))
	if err := h.handle(in); !isPermanentReason(err, "malformed") {
		t.Fatalf("want permanent malformed, got %v", err)
	}
}
