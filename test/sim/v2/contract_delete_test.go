package v2sim

import (
	"context"
	"testing"
)

// TestContractDeletes covers spec §2.6, §3.6, §3.7 and §7.3 #7.
func TestContractDeletes(t *testing.T) {
	h := newHarness(t)
	rows := []row{
		{name: "project not Crowdfunding-only: 400", want: 400, shape: projectShape("project can only be deleted if its funding model is Crowdfunding only"), run: func(t *testing.T, h *harness) *resp {
			uid := h.newProject(slug(), map[string]any{"funding_model": []string{"Crowdfunding", "Membership"}})
			return h.req("DELETE", "/projects/"+uid, nil, "If-Match", h.etag("/projects/"+uid))
		}},
		{name: "project without funding model: 400", want: 400, run: func(t *testing.T, h *harness) *resp {
			uid := h.newProject(slug(), nil)
			return h.req("DELETE", "/projects/"+uid, nil, "If-Match", h.etag("/projects/"+uid))
		}},
		{name: "stale project delete: 409", want: 409, shape: projectShape("revision mismatch"), run: func(t *testing.T, h *harness) *resp {
			uid := h.newProject(slug(), map[string]any{"funding_model": []string{"Crowdfunding"}})
			return h.req("DELETE", "/projects/"+uid, nil, "If-Match", stale(t, h, "/projects/"+uid))
		}},
		{name: "project delete: 204 empty, settings and slug gone, committees stay", want: 204, shape: bareShape, run: func(t *testing.T, h *harness) *resp {
			f := h.fixture(t)
			r := h.req("DELETE", "/projects/"+f.project, nil, "If-Match", h.etag("/projects/"+f.project))
			h.req("GET", "/projects/"+f.project+"/settings", nil).must(t, 404)
			h.req("GET", "/committees/"+f.committee, nil).must(t, 200)
			if uid := h.rpc(SubjectSlugToUID, f.slug); uid != "" {
				t.Fatalf("slug still maps to %q", uid)
			}
			return r
		}},
		{name: "committee delete: members stay in KV but GET 404s", want: 204, shape: bareShape, run: func(t *testing.T, h *harness) *resp {
			f := h.fixture(t)
			r := h.req("DELETE", "/committees/"+f.committee, nil, "If-Match", h.etag("/committees/"+f.committee))
			h.req("GET", "/committees/"+f.committee+"/members/"+f.member+"?v=1", nil).must(t, 404)
			if !h.stored(t, BucketMembers, f.member) {
				t.Fatalf("member record was deleted with its committee")
			}
			h.req("GET", "/committees/"+f.committee+"/settings", nil).must(t, 404)
			return r
		}},
		{name: "committee name is free again after delete", want: 201, run: func(t *testing.T, h *harness) *resp {
			f := h.fixture(t)
			h.req("DELETE", "/committees/"+f.committee, nil, "If-Match", h.etag("/committees/"+f.committee)).must(t, 204)
			return h.req("POST", "/committees", map[string]any{"project_uid": f.project, "name": "C " + f.slug, "category": "Board"})
		}},
		{name: "member delete ignores the committee in the path", want: 204, shape: bareShape, run: func(t *testing.T, h *harness) *resp {
			f := h.fixture(t)
			et := h.etag("/committees/" + f.committee + "/members/" + f.member + "?v=1")
			r := h.req("DELETE", "/committees/"+missingUID+"/members/"+f.member+"?v=1", nil, "If-Match", et)
			if h.stored(t, BucketMembers, f.member) {
				t.Fatalf("member still stored")
			}
			return r
		}},
		{name: "member email is free again after delete", want: 201, run: func(t *testing.T, h *harness) *resp {
			f := h.fixture(t)
			mp := "/committees/" + f.committee + "/members/" + f.member + "?v=1"
			h.req("DELETE", mp, nil, "If-Match", h.etag(mp)).must(t, 204)
			return h.req("POST", "/committees/"+f.committee+"/members?v=1", map[string]any{"email": f.slug + "@example.com"})
		}},
		{name: "delete of a gone member: 404 (treat as done)", want: 404, run: func(t *testing.T, h *harness) *resp {
			return h.req("DELETE", "/committees/"+missingUID+"/members/"+missingUID+"?v=1", nil, "If-Match", "5")
		}},
	}
	runRows(t, h, rows)
}

// stored says whether key is live in bucket.
func (h *harness) stored(t *testing.T, bucket, key string) bool {
	t.Helper()
	_, err := h.sim.st.byName[bucket].Get(context.Background(), key)
	return err == nil
}
