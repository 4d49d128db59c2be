package v2sim

import (
	"regexp"
	"strconv"
	"testing"
)

var bareDecimal = regexp.MustCompile(`^[0-9]+$`)

// TestContractETags covers spec §1.3 and §7.3 #1–#2.
func TestContractETags(t *testing.T) {
	h := newHarness(t)
	f := h.fixture(t)
	pPath, cPath := "/projects/"+f.project, "/committees/"+f.committee
	mPath := cPath + "/members/" + f.member + "?v=1"
	putProject := func(etag string, extra map[string]any, hdr ...string) *resp {
		return h.req("PUT", pPath, projectBody(h, f.slug, extra), append([]string{"If-Match", etag}, hdr...)...)
	}
	comBody := map[string]any{"project_uid": f.project, "name": "C " + f.slug, "category": "Board"}
	rows := []row{
		{name: "GET project: ETag is a bare decimal", want: 200, run: func(t *testing.T, h *harness) *resp {
			r := h.req("GET", pPath, nil)
			if !bareDecimal.MatchString(r.header.Get("ETag")) {
				t.Fatalf("ETag %q", r.header.Get("ETag"))
			}
			return r
		}},
		{name: "GET settings, committee, committee settings, member: ETag present", want: 200, run: func(t *testing.T, h *harness) *resp {
			var r *resp
			for _, p := range []string{pPath + "/settings", cPath, cPath + "/settings", mPath} {
				r = h.req("GET", p, nil)
				if !bareDecimal.MatchString(r.header.Get("ETag")) {
					t.Fatalf("%s: ETag %q", p, r.header.Get("ETag"))
				}
			}
			return r
		}},
		{name: "POST project: 201 without ETag", want: 201, run: func(t *testing.T, h *harness) *resp {
			return noETag(t, h.req("POST", "/projects", projectBody(h, slug(), nil)))
		}},
		{name: "PUT project: 200 without ETag", want: 200, run: func(t *testing.T, h *harness) *resp {
			return noETag(t, putProject(h.etag(pPath), map[string]any{"funding_model": []string{"Crowdfunding"}}))
		}},
		{name: "POST committee and member: 201 without ETag", want: 201, run: func(t *testing.T, h *harness) *resp {
			noETag(t, h.req("POST", "/committees", map[string]any{"project_uid": f.project, "name": slug(), "category": "Other"}))
			return noETag(t, h.req("POST", cPath+"/members?v=1", map[string]any{"email": slug() + "@x.org"}))
		}},
		{name: "revisions are per bucket, shared with index keys: gapped", want: 200, run: func(t *testing.T, h *harness) *resp {
			a := h.newProject(slug(), nil)
			b := h.newProject(slug(), nil)
			ea, eb := etagNum(t, h, "/projects/"+a), etagNum(t, h, "/projects/"+b)
			if eb < ea+2 { // b's slug key was written between the two records
				t.Fatalf("base ETags %d then %d: want a gap for the slug key", ea, eb)
			}
			if es := etagNum(t, h, "/projects/"+b+"/settings"); es == eb {
				t.Fatalf("settings ETag equals base ETag %d: buckets must be separate", es)
			}
			return h.req("GET", "/projects/"+b, nil)
		}},
		{name: "quoted If-Match is 400", want: 400, shape: projectShape("validation failed"), run: func(t *testing.T, h *harness) *resp {
			return putProject(`"`+h.etag(pPath)+`"`, nil)
		}},
		{name: "weak If-Match is 400", want: 400, shape: projectShape("validation failed"), run: func(t *testing.T, h *harness) *resp {
			return putProject(`W/"`+h.etag(pPath)+`"`, nil)
		}},
		{name: "If-Match * is 400", want: 400, shape: projectShape("validation failed"), run: func(t *testing.T, h *harness) *resp {
			return putProject("*", nil)
		}},
		{name: "missing If-Match on project PUT is 400, never 428", want: 400, shape: projectShape("validation failed"), run: func(t *testing.T, h *harness) *resp {
			return h.req("PUT", pPath, projectBody(h, f.slug, nil))
		}},
		{name: "missing If-Match on project DELETE is 400", want: 400, shape: projectShape("validation failed"), run: func(t *testing.T, h *harness) *resp {
			return h.req("DELETE", pPath, nil)
		}},
		{name: "missing If-Match on committee PUT is 400", want: 400, shape: committeeShape("ETag is required for update operations"), run: func(t *testing.T, h *harness) *resp {
			return h.req("PUT", cPath, comBody)
		}},
		{name: "missing If-Match on member DELETE is 400", want: 400, shape: committeeShape("ETag is required for update operations"), run: func(t *testing.T, h *harness) *resp {
			return h.req("DELETE", mPath, nil)
		}},
		{name: "stale If-Match on project PUT is 409, never 412", want: 409, shape: projectShape("revision mismatch"), run: func(t *testing.T, h *harness) *resp {
			return putProject(stale(t, h, pPath), map[string]any{"funding_model": []string{"Crowdfunding"}})
		}},
		{name: "stale If-Match on project settings PUT is 409", want: 409, shape: projectShape("revision mismatch"), run: func(t *testing.T, h *harness) *resp {
			return h.req("PUT", pPath+"/settings", map[string]any{}, "If-Match", stale(t, h, pPath+"/settings"))
		}},
		{name: "stale If-Match on committee PUT is 409", want: 409, shape: committeeShape("committee has been modified by another process"), run: func(t *testing.T, h *harness) *resp {
			return h.req("PUT", cPath, comBody, "If-Match", stale(t, h, cPath))
		}},
		{name: "stale If-Match on committee settings PUT is 409", want: 409, shape: committeeShape("committee settings have been modified by another process"), run: func(t *testing.T, h *harness) *resp {
			return h.req("PUT", cPath+"/settings", map[string]any{"business_email_required": false}, "If-Match", stale(t, h, cPath+"/settings"))
		}},
		{name: "stale If-Match on member PUT is 409", want: 409, shape: committeeShape("committee member has been modified by another process"), run: func(t *testing.T, h *harness) *resp {
			return h.req("PUT", mPath, map[string]any{"email": f.slug + "@example.com"}, "If-Match", stale(t, h, mPath))
		}},
		{name: "project compares the revision last: stale + bad parent reports the parent", want: 400, shape: projectShape("invalid parent project"), run: func(t *testing.T, h *harness) *resp {
			return putProject(stale(t, h, pPath), map[string]any{"parent_uid": "00000000-0000-4000-8000-000000000000"})
		}},
		{name: "committee compares the revision first: stale + unknown project reports 409", want: 409, shape: committeeShape("committee has been modified by another process"), run: func(t *testing.T, h *harness) *resp {
			bad := map[string]any{"project_uid": "00000000-0000-4000-8000-000000000000", "name": "x", "category": "Board"}
			return h.req("PUT", cPath, bad, "If-Match", stale(t, h, cPath))
		}},
	}
	runRows(t, h, rows)
}

func noETag(t *testing.T, r *resp) *resp {
	t.Helper()
	if e := r.header.Get("ETag"); e != "" {
		t.Fatalf("write answered with ETag %q", e)
	}
	return r
}

func etagNum(t *testing.T, h *harness, path string) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(h.etag(path), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// stale returns an ETag one below the current one.
func stale(t *testing.T, h *harness, path string) string {
	t.Helper()
	return strconv.FormatUint(etagNum(t, h, path)-1, 10)
}
