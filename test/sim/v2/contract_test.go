package v2sim

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"sync/atomic"
	"testing"
)

// A contract row is one observable behaviour of spec §7 (the definition of
// "faithful"): it acts on a shared simulator and states the status and the
// error shape the real service answers with.
type row struct {
	name  string
	run   func(t *testing.T, h *harness) *resp
	want  int
	shape shape
}

// shape is the expected error body: one of the three shapes of spec §1.2,
// or Heimdall's bodiless answer.
type shape struct {
	kind string // "goa", "project", "committee", "bare"; "" = not checked
	name string // Goa error name
	msg  string // exact domain message
}

func goaShape(name string) shape      { return shape{kind: "goa", name: name} }
func projectShape(msg string) shape   { return shape{kind: "project", msg: msg} }
func committeeShape(msg string) shape { return shape{kind: "committee", msg: msg} }

var bareShape = shape{kind: "bare"}

func runRows(t *testing.T, h *harness, rows []row) {
	t.Helper()
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			got := r.run(t, h)
			if got.status != r.want {
				t.Fatalf("status %d, want %d; body %s", got.status, r.want, got.raw)
			}
			r.shape.check(t, got)
		})
	}
}

func (s shape) check(t *testing.T, r *resp) {
	t.Helper()
	switch s.kind {
	case "":
		return
	case "bare":
		if len(r.raw) != 0 {
			t.Fatalf("want empty body, got %s", r.raw)
		}
		return
	case "goa":
		wantKeys(t, r, "fault", "id", "message", "name", "temporary", "timeout")
		if r.str("name") != s.name {
			t.Fatalf("goa name %q, want %q (%s)", r.str("name"), s.name, r.raw)
		}
		if r.header.Get("goa-error") != "" {
			t.Fatalf("goa validation error carries goa-error header %q", r.header.Get("goa-error"))
		}
		return
	case "project":
		wantKeys(t, r, "code", "message")
		if r.str("code") != strconv.Itoa(r.status) {
			t.Fatalf("code %q for status %d", r.str("code"), r.status)
		}
	case "committee":
		wantKeys(t, r, "message")
	}
	if r.header.Get("goa-error") == "" {
		t.Fatalf("domain error without goa-error header")
	}
	if r.str("message") != s.msg {
		t.Fatalf("message %q, want %q", r.str("message"), s.msg)
	}
}

func wantKeys(t *testing.T, r *resp, keys ...string) {
	t.Helper()
	var got []string
	for k := range r.body {
		got = append(got, k)
	}
	sort.Strings(got)
	if fmt.Sprint(got) != fmt.Sprint(keys) {
		t.Fatalf("body keys %v, want %v (%s)", got, keys, r.raw)
	}
}

var slugSeq atomic.Int64

// slug returns a fresh valid slug.
func slug() string { return fmt.Sprintf("p-%d", slugSeq.Add(1)) }

// projectBody is a complete valid PUT/POST base body.
func projectBody(h *harness, slug string, extra map[string]any) map[string]any {
	b := map[string]any{"slug": slug, "name": "N " + slug, "description": "d", "parent_uid": h.sim.RootUID()}
	for k, v := range extra {
		if v == nil {
			delete(b, k)
			continue
		}
		b[k] = v
	}
	return b
}

// fixture is a project with one committee and one member.
type fixture struct {
	project, slug, committee, member string
}

func (h *harness) fixture(t *testing.T) fixture {
	t.Helper()
	s := slug()
	p := h.newProject(s, map[string]any{"funding_model": []string{"Crowdfunding"}})
	c := h.newCommittee(p, "C "+s, nil)
	m := h.newMember(c, s+"@example.com", nil)
	h.settle(t, c, 1)
	return fixture{project: p, slug: s, committee: c, member: m}
}

// settle waits for the member recount to bring total_members to n, so that
// the committee's ETag is stable before a test reads it.
func (h *harness) settle(t testing.TB, cuid string, n int) {
	t.Helper()
	waitUntil(t, "total_members settles", func() bool {
		r := h.req(http.MethodGet, "/committees/"+cuid, nil)
		return r.status == 200 && r.body["total_members"] == float64(n)
	})
}
