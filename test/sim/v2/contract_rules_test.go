package v2sim

import (
	"context"
	"testing"
)

// TestContractReplacement covers spec §2.4, §2.5, §3.3, §3.5 and §7.3 #4–#5.
func TestContractReplacement(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.Users = map[string]User{"known@lf.org": {Username: "kuser", Name: "Known User", Avatar: "https://a/k.png",
			GivenName: "Kno", FamilyName: "Wn"}}
	})
	f := h.fixture(t)
	pPath, cPath := "/projects/"+f.project, "/committees/"+f.committee
	mPath := cPath + "/members/" + f.member + "?v=1"
	rows := []row{
		{name: "project PUT clears omitted optionals", want: 200, run: func(t *testing.T, h *harness) *resp {
			h.req("PUT", pPath, projectBody(h, f.slug, map[string]any{"website_url": "https://x.org", "public": true}), "If-Match", h.etag(pPath)).must(t, 200)
			r := h.req("PUT", pPath, projectBody(h, f.slug, nil), "If-Match", h.etag(pPath))
			if _, has := r.body["website_url"]; has || r.body["public"] != false {
				t.Fatalf("not replaced: %s", r.raw)
			}
			return r
		}},
		{name: "project settings PUT clears omitted roles; enrichment rewrites usernames", want: 200, run: func(t *testing.T, h *harness) *resp {
			sp := pPath + "/settings"
			h.req("PUT", sp, map[string]any{"mission_statement": "m", "auditors": []any{map[string]any{"username": "aud"}}}, "If-Match", h.etag(sp)).must(t, 200)
			r := h.req("PUT", sp, map[string]any{"writers": []any{
				map[string]any{"email": "known@lf.org", "username": "ignored"},
				map[string]any{"email": "stranger@lf.org", "username": "ignored"},
				map[string]any{"username": "noemail"}}}, "If-Match", h.etag(sp))
			w, _ := r.body["writers"].([]any)
			if _, has := r.body["auditors"]; has || r.body["mission_statement"] != nil || len(w) != 3 {
				t.Fatalf("not replaced: %s", r.raw)
			}
			if u := w[0].(map[string]any); u["username"] != "kuser" || u["name"] != "Known User" {
				t.Fatalf("known email not enriched: %v", u)
			}
			if u := w[1].(map[string]any); u["username"] != nil {
				t.Fatalf("unknown email kept username: %v", u)
			}
			if u := w[2].(map[string]any); u["username"] != "noemail" {
				t.Fatalf("entry without email lost its username: %v", u)
			}
			return r
		}},
		{name: "committee PUT resets join_mode and booleans, keeps read-only fields", want: 200, run: func(t *testing.T, h *harness) *resp {
			body := map[string]any{"project_uid": f.project, "name": "C " + f.slug, "category": "Board", "join_mode": "open", "requires_review": true}
			h.req("PUT", cPath, body, "If-Match", h.etag(cPath)).must(t, 200)
			r := h.req("PUT", cPath, map[string]any{"project_uid": f.project, "name": "C " + f.slug, "category": "Board"}, "If-Match", h.etag(cPath))
			if r.body["join_mode"] != "invite_only" || r.body["requires_review"] != false || r.body["total_members"] != float64(1) {
				t.Fatalf("not replaced or read-only lost: %s", r.raw)
			}
			if r.str("project_name") == "" || r.body["created_at"] != nil {
				t.Fatalf("base response: want project_name and no timestamps: %s", r.raw)
			}
			return r
		}},
		{name: "committee settings: null writers kept, [] clears, visibility reset", want: 200, run: func(t *testing.T, h *harness) *resp {
			sp := cPath + "/settings"
			h.req("PUT", sp, map[string]any{"business_email_required": false, "member_visibility": "basic_profile",
				"writers": []any{map[string]any{"email": "known@lf.org"}}, "auditors": []any{map[string]any{"username": "a1"}}}, "If-Match", h.etag(sp)).must(t, 200)
			r := h.req("PUT", sp, map[string]any{"business_email_required": false, "auditors": []any{}}, "If-Match", h.etag(sp))
			w, _ := r.body["writers"].([]any)
			if len(w) != 1 || w[0].(map[string]any)["username"] != "kuser" || r.body["auditors"] != nil || r.str("member_visibility") != "hidden" {
				t.Fatalf("settings semantics: %s", r.raw)
			}
			return r
		}},
		{name: "committee settings PUT requires business_email_required", want: 400, shape: goaShape("missing_field"), run: func(t *testing.T, h *harness) *resp {
			return h.req("PUT", cPath+"/settings", map[string]any{}, "If-Match", h.etag(cPath+"/settings"))
		}},
		{name: "committee writer without email or username: 400", want: 400, shape: committeeShape("each writer and auditor must have an email or a username"), run: func(t *testing.T, h *harness) *resp {
			return h.req("PUT", cPath+"/settings", map[string]any{"business_email_required": false, "writers": []any{map[string]any{"name": "x"}}}, "If-Match", h.etag(cPath+"/settings"))
		}},
		{name: "member PUT: role/voting omitted stay empty, defaults re-applied, username from email", want: 200, run: func(t *testing.T, h *harness) *resp {
			r := h.req("PUT", mPath, map[string]any{"email": "KNOWN@lf.org", "username": "mine", "role": map[string]any{}}, "If-Match", h.etag(mPath))
			role, _ := r.body["role"].(map[string]any)
			if r.str("username") != "kuser" || r.str("first_name") != "Kno" || role["name"] != "None" || r.body["voting"] != nil ||
				r.str("status") != "Active" || r.str("appointed_by") != "None" {
				t.Fatalf("member replacement: %s", r.raw)
			}
			return r
		}},
		{name: "member PUT with X-Skip-Enrichment keeps the body username", want: 200, run: func(t *testing.T, h *harness) *resp {
			r := h.req("PUT", mPath, map[string]any{"email": "known@lf.org", "username": "mine"}, "If-Match", h.etag(mPath), "X-Skip-Enrichment", "true")
			if r.str("username") != "mine" {
				t.Fatalf("username %q", r.str("username"))
			}
			return r
		}},
	}
	runRows(t, h, rows)
}

// TestContractUniqueness covers spec §7.3 #6.
func TestContractUniqueness(t *testing.T) {
	h := newHarness(t)
	f := h.fixture(t)
	cPath := "/committees/" + f.committee
	rows := []row{
		{name: "duplicate slug: 409", want: 409, shape: projectShape("project slug already exists"), run: func(t *testing.T, h *harness) *resp {
			return h.req("POST", "/projects", projectBody(h, f.slug, nil))
		}},
		{name: "slugs: one letter, trailing dash, upper case are 400", want: 400, shape: goaShape("invalid_pattern"), run: func(t *testing.T, h *harness) *resp {
			for _, s := range []string{"a", "ab-", "Ab"} {
				h.req("POST", "/projects", projectBody(h, s, nil)).must(t, 400)
			}
			return h.req("POST", "/projects", projectBody(h, "9ab", nil))
		}},
		{name: "slug is mutable via PUT and the old one is freed", want: 201, run: func(t *testing.T, h *harness) *resp {
			old, renamed := slug(), slug()
			uid := h.newProject(old, nil)
			h.req("PUT", "/projects/"+uid, projectBody(h, renamed, nil), "If-Match", h.etag("/projects/"+uid)).must(t, 200)
			if got := h.rpc(SubjectSlugToUID, renamed); got != uid {
				t.Fatalf("slug_to_uid(%s) = %q", renamed, got)
			}
			return h.req("POST", "/projects", projectBody(h, old, nil))
		}},
		{name: "PUT to a taken slug: 409", want: 409, shape: projectShape("project slug already exists"), run: func(t *testing.T, h *harness) *resp {
			uid := h.newProject(slug(), nil)
			return h.req("PUT", "/projects/"+uid, projectBody(h, f.slug, nil), "If-Match", h.etag("/projects/"+uid))
		}},
		{name: "missing project parent: 400", want: 400, shape: projectShape("invalid parent project"), run: func(t *testing.T, h *harness) *resp {
			return h.req("POST", "/projects", projectBody(h, slug(), map[string]any{"parent_uid": missingUID}))
		}},
		{name: "non-UUID project parent: 400 validation failed", want: 400, shape: projectShape("validation failed"), run: func(t *testing.T, h *harness) *resp {
			return h.req("POST", "/projects", projectBody(h, slug(), map[string]any{"parent_uid": "root"}))
		}},
		{name: "empty project parent is accepted", want: 201, run: func(t *testing.T, h *harness) *resp {
			return h.req("POST", "/projects", projectBody(h, slug(), map[string]any{"parent_uid": ""}))
		}},
		{name: "archived without dissolution date: 400", want: 400, shape: projectShape("entity dissolution date is required when project stage is 'Archived'"), run: func(t *testing.T, h *harness) *resp {
			return h.req("POST", "/projects", projectBody(h, slug(), map[string]any{"stage": "Archived"}))
		}},
		{name: "duplicate committee name in project: 409", want: 409, shape: committeeShape("committee with the same name for the project already exists"), run: func(t *testing.T, h *harness) *resp {
			return h.req("POST", "/committees", map[string]any{"project_uid": f.project, "name": "C " + f.slug, "category": "Other"})
		}},
		{name: "same committee name in another project: 201", want: 201, run: func(t *testing.T, h *harness) *resp {
			other := h.newProject(slug(), nil)
			return h.req("POST", "/committees", map[string]any{"project_uid": other, "name": "C " + f.slug, "category": "Other"})
		}},
		{name: "SSO group names are auto-suffixed", want: 201, run: func(t *testing.T, h *harness) *resp {
			a := h.req("POST", "/committees", map[string]any{"project_uid": f.project, "name": "TSC", "category": "Other", "public": true}).must(t, 201)
			b := h.req("POST", "/committees", map[string]any{"project_uid": f.project, "name": "tsc", "category": "Other", "sso_group_enabled": true})
			if a.str("sso_group_name") != f.slug+"-tsc" || b.str("sso_group_name") != f.slug+"-tsc-2" {
				t.Fatalf("sso names %q, %q", a.str("sso_group_name"), b.str("sso_group_name"))
			}
			return b
		}},
		{name: "committee with missing project: 404", want: 404, shape: committeeShape("project attribute lfx.projects-api.get_slug not found for uid: " + missingUID), run: func(t *testing.T, h *harness) *resp {
			return h.req("POST", "/committees", map[string]any{"project_uid": missingUID, "name": "x", "category": "Other"})
		}},
		{name: "committee with missing parent committee: 404", want: 404, run: func(t *testing.T, h *harness) *resp {
			return h.req("POST", "/committees", map[string]any{"project_uid": f.project, "name": slug(), "category": "Other", "parent_uid": missingUID})
		}},
		{name: "committee parent_uid empty string: Goa 400", want: 400, shape: goaShape("invalid_format"), run: func(t *testing.T, h *harness) *resp {
			return h.req("POST", "/committees", map[string]any{"project_uid": f.project, "name": slug(), "category": "Other", "parent_uid": ""})
		}},
		{name: "member email unique per committee, case-insensitive and trimmed: 409", want: 409, shape: committeeShape("member with the same email already exists in the committee"), run: func(t *testing.T, h *harness) *resp {
			return h.req("POST", cPath+"/members?v=1", map[string]any{"email": " " + upper(f.slug) + "@EXAMPLE.com"})
		}},
		{name: "member in a missing committee: 404", want: 404, shape: committeeShape("committee not found"), run: func(t *testing.T, h *harness) *resp {
			return h.req("POST", "/committees/"+missingUID+"/members?v=1", map[string]any{"email": "x@y.org"})
		}},
		{name: "member GET through another committee: 400", want: 400, shape: committeeShape("committee member does not belong to the requested committee"), run: func(t *testing.T, h *harness) *resp {
			other := h.newCommittee(f.project, slug(), nil)
			return h.req("GET", "/committees/"+other+"/members/"+f.member+"?v=1", nil)
		}},
	}
	runRows(t, h, rows)
}

// TestContractMemberRules covers the organization and voting rules of §3.7.
func TestContractMemberRules(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.UnknownOrgs = map[string]bool{"001000000000001AAA": true} })
	f := h.fixture(t)
	voting := h.newCommittee(f.project, "Voting "+f.slug, map[string]any{"enable_voting": true})
	bizEmail := h.newCommittee(f.project, "Biz "+f.slug, map[string]any{"business_email_required": true})
	org := map[string]any{"name": "Acme", "website": "https://acme.org"}
	post := func(cuid string, body map[string]any) *resp {
		return h.req("POST", "/committees/"+cuid+"/members?v=1", body)
	}
	orgMsg := "organization is required: provide organization.id, or organization.name and organization.website"
	rows := []row{
		{name: "voting committee without organization: 400", want: 400, shape: committeeShape(orgMsg), run: func(t *testing.T, h *harness) *resp {
			return post(voting, map[string]any{"email": slug() + "@x.org"})
		}},
		{name: "business-email committee without organization: 400", want: 400, shape: committeeShape(orgMsg), run: func(t *testing.T, h *harness) *resp {
			return post(bizEmail, map[string]any{"email": slug() + "@x.org", "organization": map[string]any{"name": "Acme"}})
		}},
		{name: "voting.status None rejected on a voting committee", want: 400, shape: committeeShape("voting status None is not allowed on a voting committee"), run: func(t *testing.T, h *harness) *resp {
			return post(voting, map[string]any{"email": slug() + "@x.org", "organization": org, "voting": map[string]any{}})
		}},
		{name: "omitted voting is accepted on a voting committee", want: 201, run: func(t *testing.T, h *harness) *resp {
			return post(voting, map[string]any{"email": slug() + "@x.org", "organization": org})
		}},
		{name: "a member already at voting None may stay there after the committee turns voting", want: 200, run: func(t *testing.T, h *harness) *resp {
			p := h.newProject(slug(), nil)
			c := h.newCommittee(p, "turns voting", nil)
			body := map[string]any{"email": slug() + "@x.org", "organization": org, "voting": map[string]any{}}
			m := post(c, body).must(t, 201).str("uid")
			h.settle(t, c, 1)
			h.req("PUT", "/committees/"+c, map[string]any{"project_uid": p, "name": "turns voting", "category": "Board", "enable_voting": true},
				"If-Match", h.etag("/committees/"+c)).must(t, 200)
			mp := "/committees/" + c + "/members/" + m + "?v=1"
			return h.req("PUT", mp, body, "If-Match", h.etag(mp))
		}},
		{name: "member PUT to an email already in the committee: 409", want: 409, shape: committeeShape("member with the same email already exists in the committee"), run: func(t *testing.T, h *harness) *resp {
			other := post(f.committee, map[string]any{"email": slug() + "@x.org"}).must(t, 201).str("uid")
			mp := "/committees/" + f.committee + "/members/" + other + "?v=1"
			return h.req("PUT", mp, map[string]any{"email": f.slug + "@example.com"}, "If-Match", h.etag(mp))
		}},
		{name: "member PUT through another committee: 400", want: 400, shape: committeeShape("committee member does not belong to the requested committee"), run: func(t *testing.T, h *harness) *resp {
			et := h.etag("/committees/" + f.committee + "/members/" + f.member + "?v=1")
			return h.req("PUT", "/committees/"+voting+"/members/"+f.member+"?v=1", map[string]any{"email": "x@y.org"}, "If-Match", et)
		}},
		{name: "15-char SFID normalized to 18; non-SFID cleared; unknown SFID cleared", want: 201, run: func(t *testing.T, h *harness) *resp {
			r := post(f.committee, map[string]any{"email": slug() + "@x.org", "organization": map[string]any{"id": "001Ab000001XyZq"}}).must(t, 201)
			if got := r.body["organization"].(map[string]any)["id"]; got != "001Ab000001XyZqIAK" {
				t.Fatalf("normalized id %v", got)
			}
			for _, id := range []string{"8f1b2c3d-uuid-like", "001000000000001AAA"} {
				r = post(f.committee, map[string]any{"email": slug() + "@x.org", "organization": map[string]any{"id": id, "name": "n"}}).must(t, 201)
				if got := r.body["organization"].(map[string]any)["id"]; got != nil {
					t.Fatalf("id %s kept as %v", id, got)
				}
			}
			return r
		}},
	}
	runRows(t, h, rows)
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}

// TestInvitesAreServerManaged: invite data a client sends is dropped; a
// stored invite survives when its user is re-sent (spec §2.5).
func TestInvitesAreServerManaged(t *testing.T) {
	h := newHarness(t)
	uid := h.req("POST", "/projects", projectBody(h, slug(), map[string]any{
		"writers": []any{map[string]any{"username": "w", "invite": map[string]any{"uid": "forged"}}}})).must(t, 201).str("uid")
	sp := "/projects/" + uid + "/settings"
	if w := h.req("GET", sp, nil).body["writers"].([]any)[0].(map[string]any); w["invite"] != nil {
		t.Fatalf("client invite stored: %v", w)
	}
	var st projectSettingsRecord
	if _, err := getJSON(context.Background(), h.sim.st.projectSettings, uid, &st); err != nil {
		t.Fatal(err)
	}
	st.Writers[0].Invite = &Invite{UID: "inv-1", Email: "w@x.org"}
	if _, err := putJSON(context.Background(), h.sim.st.projectSettings, uid, &st); err != nil {
		t.Fatal(err)
	}
	r := h.req("PUT", sp, map[string]any{"writers": []any{map[string]any{"username": "w", "invite": map[string]any{"uid": "forged"}}}},
		"If-Match", h.etag(sp)).must(t, 200)
	if inv := r.body["writers"].([]any)[0].(map[string]any)["invite"].(map[string]any); inv["uid"] != "inv-1" {
		t.Fatalf("invite %v", inv)
	}
}
