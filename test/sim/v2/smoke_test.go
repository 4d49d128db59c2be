package v2sim

import (
	"testing"
	"time"

	"github.com/linuxfoundation/v1sync/test/natstest"
)

func TestHappyPathProjectsCommitteesMembers(t *testing.T) {
	h := newHarness(t)
	puid := h.newProject("alpha", map[string]any{"funding_model": []string{"Crowdfunding"}})
	et := h.etag("/projects/" + puid)
	h.req("PUT", "/projects/"+puid, map[string]any{"slug": "alpha", "name": "A", "description": "x",
		"parent_uid": h.sim.RootUID(), "funding_model": []string{"Crowdfunding"}}, "If-Match", et).must(t, 200)
	cuid := h.newCommittee(puid, "Board", nil)
	muid := h.newMember(cuid, "a@example.com", nil)
	// The create's recount rewrites the committee later; wait for it, or it
	// could land after the delete's and move the ETag under our DELETE.
	natstest.Eventually(t, 5*time.Second, "total_members 1", func() bool {
		return h.req("GET", "/committees/"+cuid, nil).body["total_members"] == float64(1)
	})
	r := h.req("GET", "/committees/"+cuid+"/members/"+muid+"?v=1", nil).must(t, 200)
	if r.str("email") != "a@example.com" || r.header.Get("ETag") == "" {
		t.Fatalf("member %s etag %q", r.raw, r.header.Get("ETag"))
	}
	et = h.etag("/committees/" + cuid + "/members/" + muid + "?v=1")
	h.req("DELETE", "/committees/"+cuid+"/members/"+muid+"?v=1", nil, "If-Match", et).must(t, 204)
	// The member delete triggers a recount that rewrites the committee.
	natstest.Eventually(t, 5*time.Second, "total_members back to 0", func() bool {
		return h.req("GET", "/committees/"+cuid, nil).body["total_members"] == float64(0)
	})
	et = h.etag("/committees/" + cuid)
	h.req("DELETE", "/committees/"+cuid, nil, "If-Match", et).must(t, 204)
	et = h.etag("/projects/" + puid)
	h.req("DELETE", "/projects/"+puid, nil, "If-Match", et).must(t, 204)
}
