package v2sim

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestContractPartialFailures covers spec §7.3 #10: what each service does
// when its NATS publishes fail after the KV write.
func TestContractPartialFailures(t *testing.T) {
	h := newHarness(t)
	failOnce := func(ep Endpoint) {
		if err := h.sim.SetFault(ep, Fault{FailPublishRate: 1}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(h.sim.ClearFaults)
	}
	rows := []row{
		{name: "project create: 500 after storing; retry is 409; slug_to_uid reconciles", want: 409, shape: projectShape("project slug already exists"), run: func(t *testing.T, h *harness) *resp {
			s := slug()
			failOnce(ProjectCreate)
			h.req("POST", "/projects", projectBody(h, s, nil)).must(t, 500)
			h.sim.ClearFaults()
			uid := h.rpc(SubjectSlugToUID, s)
			h.req("GET", "/projects/"+uid, nil).must(t, 200)
			return h.req("POST", "/projects", projectBody(h, s, nil))
		}},
		{name: "project update: 500 but the update is stored", want: 500, shape: projectShape(errPublish.Error()), run: func(t *testing.T, h *harness) *resp {
			s := slug()
			uid := h.newProject(s, nil)
			failOnce(ProjectUpdate)
			r := h.req("PUT", "/projects/"+uid, projectBody(h, s, map[string]any{"name": "changed"}), "If-Match", h.etag("/projects/"+uid))
			h.sim.ClearFaults()
			if g := h.req("GET", "/projects/"+uid, nil); g.str("name") != "changed" {
				t.Fatalf("update not stored: %s", g.raw)
			}
			return r
		}},
		{name: "committee create: 201 even though nothing was published", want: 201, run: func(t *testing.T, h *harness) *resp {
			p := h.newProject(slug(), nil)
			failOnce(CommitteeCreate)
			return h.req("POST", "/committees", map[string]any{"project_uid": p, "name": "x", "category": "Other"})
		}},
		{name: "committee delete: 503 after deleting", want: 503, shape: committeeShape(errPublish.Error()), run: func(t *testing.T, h *harness) *resp {
			p := h.newProject(slug(), nil)
			c := h.newCommittee(p, "x", nil)
			failOnce(CommitteeDelete)
			r := h.req("DELETE", "/committees/"+c, nil, "If-Match", h.etag("/committees/"+c))
			h.sim.ClearFaults()
			h.req("GET", "/committees/"+c, nil).must(t, 404)
			return r
		}},
		{name: "member delete: 503 after deleting; a retry is 404", want: 404, run: func(t *testing.T, h *harness) *resp {
			f := h.fixture(t)
			mp := "/committees/" + f.committee + "/members/" + f.member + "?v=1"
			et := h.etag(mp)
			failOnce(MemberDelete)
			h.req("DELETE", mp, nil, "If-Match", et).must(t, 503)
			h.sim.ClearFaults()
			return h.req("DELETE", mp, nil, "If-Match", et)
		}},
	}
	runRows(t, h, rows)
}

// TestFaultKnobs: injected errors, drops, latency and event lag/loss.
func TestFaultKnobs(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.EventDelay = Delay{Min: time.Hour, Max: time.Hour} })
	ev := h.listen("lfx.project.>")
	get := "/projects/" + h.sim.RootUID()

	t.Run("error share is exact and shaped", func(t *testing.T) {
		mustSet(t, h, ProjectGet, Fault{ErrorRate: 0.5, ErrorStatus: 500})
		defer h.sim.ClearFaults()
		statuses := []int{h.req("GET", get, nil).status, h.req("GET", get, nil).status, h.req("GET", get, nil).status, h.req("GET", get, nil).status}
		if statuses[0] != 200 || statuses[1] != 500 || statuses[2] != 200 || statuses[3] != 500 {
			t.Fatalf("statuses %v", statuses)
		}
		h.sim.ClearFaults()
		mustSet(t, h, AllEndpoints, Fault{ErrorRate: 1})
		projectShape("service unavailable").check(t, h.req("GET", get, nil).must(t, 503))
		committeeShape("service unavailable").check(t, h.req("GET", "/committees/"+missingUID, nil).must(t, 503))
	})
	t.Run("drop closes the connection before any work", func(t *testing.T) {
		mustSet(t, h, ProjectCreate, Fault{DropRate: 1})
		defer h.sim.ClearFaults()
		s := slug()
		if _, err := h.try("POST", "/projects", projectBody(h, s, nil)); err == nil {
			t.Fatalf("connection not dropped")
		}
		if h.rpc(SubjectSlugToUID, s) != "" {
			t.Fatalf("dropped request was processed")
		}
		if h.sim.CallCount(ProjectCreate, 0) != 1 {
			t.Fatalf("calls %v", h.sim.Calls())
		}
	})
	t.Run("drop after write: no answer but stored", func(t *testing.T) {
		mustSet(t, h, ProjectCreate, Fault{DropAfterWriteRate: 1})
		defer h.sim.ClearFaults()
		s := slug()
		if _, err := h.try("POST", "/projects", projectBody(h, s, nil)); err == nil {
			t.Fatalf("connection not dropped")
		}
		if h.rpc(SubjectSlugToUID, s) == "" {
			t.Fatalf("write not stored")
		}
	})
	t.Run("error after write: committee PUT answers 503 but is stored", func(t *testing.T) {
		mustSet(t, h, CommitteeUpdate, Fault{ErrorAfterWriteRate: 1})
		defer h.sim.ClearFaults()
		p := h.newProject(slug(), nil)
		c := h.newCommittee(p, "before", nil)
		r := h.req("PUT", "/committees/"+c, map[string]any{"project_uid": p, "name": "after", "category": "Board"}, "If-Match", h.etag("/committees/"+c))
		committeeShape("service unavailable").check(t, r.must(t, 503))
		if got := h.req("GET", "/committees/"+c, nil).str("name"); got != "after" {
			t.Fatalf("name %q", got)
		}
	})
	t.Run("latency delays the answer", func(t *testing.T) {
		mustSet(t, h, ProjectGet, Fault{Latency: 50 * time.Millisecond, Jitter: 10 * time.Millisecond})
		defer h.sim.ClearFaults()
		start := time.Now()
		h.req("GET", get, nil).must(t, 200)
		if time.Since(start) < 50*time.Millisecond {
			t.Fatalf("answered in %s", time.Since(start))
		}
	})
	t.Run("X-Sync publishes before answering; event drop loses the events", func(t *testing.T) {
		mustSet(t, h, ProjectCreate, Fault{EventDropRate: 1})
		lost := h.req("POST", "/projects", projectBody(h, slug(), nil), "X-Sync", "true").must(t, 201).str("uid")
		h.sim.ClearFaults()
		kept := h.req("POST", "/projects", projectBody(h, slug(), nil), "X-Sync", "true").must(t, 201).str("uid")
		ev.waitFor(t, "lfx.project.created", func(e IndexEvent) bool { return e.ObjectID == kept })
		for _, m := range ev.all() { // core NATS keeps one publisher's order: lost would be in by now
			if strings.Contains(string(m.Data), lost) {
				t.Fatalf("dropped event delivered: %s", m.Data)
			}
		}
	})
	t.Run("event duplication sends the same event twice", func(t *testing.T) {
		mustSet(t, h, ProjectCreate, Fault{EventDuplicateRate: 1})
		defer h.sim.ClearFaults()
		uid := h.req("POST", "/projects", projectBody(h, slug(), nil), "X-Sync", "true").must(t, 201).str("uid")
		waitUntil(t, "two copies", func() bool {
			n := 0
			for _, m := range ev.all() {
				if m.Subject == "lfx.project.created" && strings.Contains(string(m.Data), uid) {
					n++
				}
			}
			return n == 2
		})
	})
	t.Run("per-endpoint event delay overrides the default", func(t *testing.T) {
		mustSet(t, h, ProjectCreate, Fault{EventDelay: &Delay{Min: 10 * time.Millisecond, Max: 20 * time.Millisecond}})
		defer h.sim.ClearFaults()
		uid := h.req("POST", "/projects", projectBody(h, slug(), nil)).must(t, 201).str("uid")
		ev.waitFor(t, "lfx.project.created", func(e IndexEvent) bool { return e.ObjectID == uid })
	})
}

func mustSet(t *testing.T, h *harness, ep Endpoint, f Fault) {
	t.Helper()
	if err := h.sim.SetFault(ep, f); err != nil {
		t.Fatal(err)
	}
}

// try sends a request and returns the transport error, if any.
func (h *harness) try(method, path string, body map[string]any) (*http.Response, error) {
	r, err := http.NewRequest(method, h.sim.URL()+path, strings.NewReader(mustJSON(h.t, body)))
	if err != nil {
		h.t.Fatal(err)
	}
	r.Header.Set("Authorization", "Bearer "+h.projTok)
	res, err := h.hc.Do(r)
	if err == nil {
		res.Body.Close()
	}
	return res, err
}

func TestParseFault(t *testing.T) {
	ep, f, err := ParseFault("PUT /projects/{uid}:latency=20ms,jitter=5ms,error=0.25,status=500,error_after_write=0.5,fail_publish=1,drop=0.1,drop_after_write=0.2,event_delay=10ms-20ms,event_drop=0.5,event_dup=0.25")
	if err != nil {
		t.Fatal(err)
	}
	want := Fault{Latency: 20 * time.Millisecond, Jitter: 5 * time.Millisecond, ErrorRate: 0.25, ErrorStatus: 500, ErrorAfterWriteRate: 0.5,
		FailPublishRate: 1, DropRate: 0.1, DropAfterWriteRate: 0.2, EventDelay: &Delay{10 * time.Millisecond, 20 * time.Millisecond}, EventDropRate: 0.5, EventDuplicateRate: 0.25}
	if ep != ProjectUpdate || *f.EventDelay != *want.EventDelay {
		t.Fatalf("got %q %+v", ep, f)
	}
	f.EventDelay, want.EventDelay = nil, nil
	if f != want {
		t.Fatalf("got %+v want %+v", f, want)
	}
	for _, bad := range []string{"nope", "*:error=2", "*:status=404", "*:what=1", "*:latency=x"} {
		if _, _, err := ParseFault(bad); err == nil {
			t.Errorf("ParseFault(%q) accepted", bad)
		}
	}
}
