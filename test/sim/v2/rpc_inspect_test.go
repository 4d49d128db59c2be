package v2sim

import (
	"context"
	"encoding/json"
	"testing"
)

// TestRequestReply covers the NATS subjects of spec §2.9 and §3.9.
func TestRequestReply(t *testing.T) {
	h := newHarness(t)
	f := h.fixture(t)
	h.req("PUT", "/projects/"+f.project+"/settings", map[string]any{"writers": []any{map[string]any{"username": "w"}}},
		"If-Match", h.etag("/projects/"+f.project+"/settings")).must(t, 200)
	cases := []struct{ subject, req, want string }{
		{SubjectSlugToUID, "ROOT", h.sim.RootUID()},
		{SubjectSlugToUID, f.slug, f.project},
		{SubjectSlugToUID, "missing", ""},
		{SubjectGetName, f.project, "Project " + f.slug},
		{SubjectGetSlug, f.project, f.slug},
		{SubjectGetParentUID, f.project, h.sim.RootUID()},
		{SubjectGetLogo, f.project, ""},
		{SubjectGetName, missingUID, ""},
		{SubjectGetWriters, f.project, `[{"username":"w"}]`},
		{SubjectCommitteeGetName, f.committee, "C " + f.slug},
		{SubjectCommitteeGetProject, `{"committee_uid":"` + f.committee + `"}`, `{"project_uid":"` + f.project + `"}`},
		{SubjectCommitteeGetProject, `{"committee_uid":"` + missingUID + `"}`, `{"error":"not found"}`},
	}
	for _, c := range cases {
		if got := h.rpc(c.subject, c.req); got != c.want {
			t.Errorf("%s(%s) = %q, want %q", c.subject, c.req, got, c.want)
		}
	}
	var members []Member
	if err := json.Unmarshal([]byte(h.rpc(SubjectCommitteeListMembers, f.committee)), &members); err != nil || len(members) != 1 || members[0].UID != f.member {
		t.Fatalf("list_members: %v %+v", err, members)
	}
}

// TestInspection: stored objects and call counts are visible to tests.
func TestInspection(t *testing.T) {
	h := newHarness(t)
	f := h.fixture(t)
	h.req("GET", "/projects/"+missingUID, nil).must(t, 404)
	objs, err := h.sim.Objects(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, o := range objs {
		kinds[o.Kind]++
	}
	want := map[string]int{KindProject: 2, KindProjectSettings: 2, KindCommittee: 1, KindCommitteeSettings: 1, KindMember: 1}
	for k, n := range want {
		if kinds[k] != n {
			t.Errorf("%d objects of kind %s, want %d (%v)", kinds[k], k, n, kinds)
		}
	}
	if kinds[KindIndex] < 4 { // 2 slugs, committee name, member email + member indexes
		t.Errorf("index keys %d", kinds[KindIndex])
	}
	if h.sim.CallCount(ProjectCreate, 201) != 1 || h.sim.CallCount(ProjectGet, 404) != 1 || h.sim.CallCount(MemberCreate, 201) != 1 {
		t.Fatalf("calls %+v", h.sim.Calls())
	}
	r := h.req("GET", "/_sim/calls", nil).must(t, 200)
	if len(r.raw) < 10 {
		t.Fatalf("/_sim/calls %s", r.raw)
	}
	h.req("GET", "/_sim/objects", nil).must(t, 200)
	h.sim.ResetCalls()
	if len(h.sim.Calls()) != 0 {
		t.Fatalf("calls not reset")
	}
	_ = f
}

// TestRestartKeepsState: a new simulator on the same buckets sees the old
// objects and the same ROOT, as a restarted service would.
func TestRestartKeepsState(t *testing.T) {
	h := newHarness(t)
	f := h.fixture(t)
	again := StartT(t, h.env.NC, DefaultConfig())
	if again.RootUID() != h.sim.RootUID() {
		t.Fatalf("ROOT reseeded: %s vs %s", again.RootUID(), h.sim.RootUID())
	}
	h2 := &harness{t: t, env: h.env, sim: again, hc: h.hc, projTok: h.projTok}
	h2.projTok = h2.token(testPrincipal, AudienceProjects)
	h2.req("GET", "/projects/"+f.project, nil).must(t, 200)
}

// TestCacheFollowsOtherWriters: a simulator sees changes another simulator
// makes to the same buckets (the read cache follows a KV watcher).
func TestCacheFollowsOtherWriters(t *testing.T) {
	a := newHarness(t)
	b := &harness{t: t, env: a.env, sim: StartT(t, a.env.NC, a.sim.cfg), hc: a.hc, projTok: a.projTok, comTok: a.comTok}
	s := slug()
	uid := b.newProject(s, nil)
	a.req("GET", "/projects/"+uid, nil).must(t, 200)
	b.req("PUT", "/projects/"+uid, projectBody(b, s, map[string]any{"name": "renamed"}), "If-Match", b.etag("/projects/"+uid)).must(t, 200)
	waitUntil(t, "a sees the rename", func() bool { return a.req("GET", "/projects/"+uid, nil).str("name") == "renamed" })
	if a.etag("/projects/"+uid) != b.etag("/projects/"+uid) {
		t.Fatalf("ETags differ between simulators")
	}
}

func TestReset(t *testing.T) {
	h := newHarness(t)
	f := h.fixture(t)
	if err := h.sim.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.req("GET", "/projects/"+f.project, nil).must(t, 404)
	h.req("GET", "/projects/"+h.sim.RootUID(), nil).must(t, 200)
	projects, err := h.sim.ObjectsOf(context.Background(), KindProject)
	if err != nil || len(projects) != 1 {
		t.Fatalf("projects after reset: %v %+v", err, projects)
	}
	h.newProject(f.slug, nil) // the slug is free again
}
