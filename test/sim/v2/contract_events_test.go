package v2sim

import (
	"encoding/json"
	"regexp"
	"testing"
)

var msTimestamp = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

// TestContractEvents covers spec §4.3 and §7.3 #8–#9: envelopes, identity,
// documents, and the service-internal events without principals.
func TestContractEvents(t *testing.T) {
	h := newHarness(t)
	ev := h.listen("lfx.>")
	byUID := func(uid string) func(IndexEvent) bool { return func(e IndexEvent) bool { return e.ObjectID == uid } }
	rows := []row{
		{name: "project created: envelope, principals, document", want: 201, run: func(t *testing.T, h *harness) *resp {
			s := slug()
			r := h.req("POST", "/projects", projectBody(h, s, map[string]any{"formation_date": "2021-01-01"}))
			uid := r.str("uid")
			e := ev.waitFor(t, "lfx.project.created", byUID(uid))
			b := e.Body
			if e.DocumentID != "project:"+uid || e.ObjectType != "project" || e.Action != "created" || !msTimestamp.MatchString(e.Timestamp) {
				t.Fatalf("envelope %+v", e)
			}
			if len(b.CreatedByPrincipals) != 1 || b.CreatedByPrincipals[0] != testPrincipal || b.CreatedBy[0] != testPrincipal+" <>" || b.UpdatedBy != nil {
				t.Fatalf("identity %+v", b)
			}
			data := b.Data.(map[string]any)
			if data["formation_date"] != "2021-01-01T00:00:00Z" || b.Public || b.AccessCheckQuery != "project:"+uid+"#viewer" ||
				b.ParentRefs[0] != "project:"+h.sim.RootUID() || b.NameAndAliases[1] != s || b.Tags[0] != "project_slug:"+s {
				t.Fatalf("document %+v", b)
			}
			wire := ev.waitForRaw(t, "lfx.project.created", func(m map[string]any) bool { return m["object_id"] == uid })
			if _, has := wire["body"].(map[string]any)["public"]; has {
				t.Fatalf("public present though false")
			}
			return r
		}},
		{name: "project updated: no created_* fields; settings event too", want: 200, run: func(t *testing.T, h *harness) *resp {
			uid := h.newProject(slug(), nil)
			sp := "/projects/" + uid + "/settings"
			r := h.req("PUT", sp, map[string]any{"mission_statement": "m"}, "If-Match", h.etag(sp))
			b := ev.waitFor(t, "lfx.project_settings.updated", byUID(uid)).Body
			if b.CreatedAt != "" || b.CreatedByPrincipals != nil || b.UpdatedByPrincipals[0] != testPrincipal {
				t.Fatalf("update document %+v", b)
			}
			ev.waitForRaw(t, subjectProjectSettings, func(m map[string]any) bool { return m["project_uid"] == uid })
			return r
		}},
		{name: "project deleted: tombstone without data", want: 204, run: func(t *testing.T, h *harness) *resp {
			uid := h.newProject(slug(), map[string]any{"funding_model": []string{"Crowdfunding"}})
			r := h.req("DELETE", "/projects/"+uid, nil, "If-Match", h.etag("/projects/"+uid))
			b := ev.waitFor(t, "lfx.project.deleted", byUID(uid)).Body
			if b.Data != nil || b.DeletedByPrincipals[0] != testPrincipal || b.DeletedAt == "" {
				t.Fatalf("tombstone %+v", b)
			}
			return r
		}},
		{name: "email claim appears in *_by and *_by_emails", want: 201, run: func(t *testing.T, h *harness) *resp {
			pa, _ := h.sim.Audiences()
			tok, _ := h.sim.MintToken(TokenClaims{Principal: "jdoe", Email: "j@doe.org", Audience: pa})
			r := h.req("POST", "/projects", projectBody(h, slug(), nil), "Authorization", "Bearer "+tok)
			b := ev.waitFor(t, "lfx.project.created", byUID(r.str("uid"))).Body
			if b.CreatedBy[0] != "jdoe <j@doe.org>" || b.CreatedByEmails[0] != "j@doe.org" {
				t.Fatalf("identity %+v", b)
			}
			return r
		}},
		{name: "member create: committee ETag moves, lfx.committee.updated without principals", want: 201, run: func(t *testing.T, h *harness) *resp {
			p := h.newProject(slug(), nil)
			c := h.newCommittee(p, "C", nil)
			before := h.etag("/committees/" + c)
			r := h.req("POST", "/committees/"+c+"/members?v=1", map[string]any{"email": "m@x.org"})
			e := ev.waitFor(t, "lfx.committee.updated", byUID(c))
			if e.Body.UpdatedByPrincipals != nil || e.Body.UpdatedBy != nil {
				t.Fatalf("internal event has principals %+v", e.Body)
			}
			h.settle(t, c, 1)
			if h.etag("/committees/"+c) == before {
				t.Fatalf("committee ETag unchanged after member create")
			}
			return r
		}},
		{name: "committee rename fans out member updates without principals", want: 200, run: func(t *testing.T, h *harness) *resp {
			f := h.fixture(t)
			mp := "/committees/" + f.committee + "/members/" + f.member + "?v=1"
			before := h.etag(mp)
			r := h.req("PUT", "/committees/"+f.committee, map[string]any{"project_uid": f.project, "name": "Renamed", "category": "Board"},
				"If-Match", h.etag("/committees/"+f.committee))
			e := ev.waitFor(t, "lfx.committee_member.updated", func(e IndexEvent) bool {
				return e.ObjectID == f.member && e.Body.Data.(map[string]any)["committee_name"] == "Renamed"
			})
			if e.Body.UpdatedByPrincipals != nil {
				t.Fatalf("fan-out event has principals")
			}
			if h.etag(mp) == before {
				t.Fatalf("member ETag unchanged after fan-out")
			}
			return r
		}},
		{name: "lfx.index and fga-sync messages", want: 201, run: func(t *testing.T, h *harness) *resp {
			s := slug()
			r := h.req("POST", "/projects", projectBody(h, s, map[string]any{"writers": []any{map[string]any{"username": "w1"}}}))
			uid := r.str("uid")
			env := ev.waitForRaw(t, "lfx.index.project", func(m map[string]any) bool {
				d, _ := m["data"].(map[string]any)
				return d["uid"] == uid
			})
			hdr := env["headers"].(map[string]any)
			if hdr["authorization"] != "Bearer "+h.projTok || hdr["x-on-behalf-of"] != testPrincipal || env["tags"] != nil {
				t.Fatalf("index envelope %v", env)
			}
			if cfg := env["indexing_config"].(map[string]any); cfg["object_id"] != "{{ uid }}" {
				t.Fatalf("project indexing_config not templated: %v", cfg)
			}
			fga := ev.waitForRaw(t, subjectFGAUpdate, func(m map[string]any) bool {
				d, _ := m["data"].(map[string]any)
				return d["uid"] == uid
			})
			d := fga["data"].(map[string]any)
			if d["exclude_relations"] != nil || d["relations"].(map[string]any)["writer"].([]any)[0] != "w1" {
				t.Fatalf("fga %v", fga)
			}
			return r
		}},
		{name: "committee settings: webhook stripped from index data", want: 201, run: func(t *testing.T, h *harness) *resp {
			p := h.newProject(slug(), nil)
			r := h.req("POST", "/committees", map[string]any{"project_uid": p, "name": "W", "category": "Other",
				"chat_webhook_url": "https://hooks.slack.com/x"})
			c := r.str("uid")
			b := ev.waitFor(t, "lfx.committee_settings.created", byUID(c)).Body
			if _, has := b.Data.(map[string]any)["chat_webhook_url"]; has {
				t.Fatalf("webhook leaked into the index")
			}
			if g := h.req("GET", "/committees/"+c+"/settings", nil); g.body["has_chat_webhook"] != true || g.body["chat_webhook_url"] != nil {
				t.Fatalf("settings %s", g.raw)
			}
			return r
		}},
	}
	runRows(t, h, rows)
}

// waitForRaw polls for a JSON message on subject that satisfies ok.
func (e *events) waitForRaw(t testing.TB, subject string, ok func(map[string]any) bool) map[string]any {
	t.Helper()
	var found map[string]any
	waitUntil(t, "message on "+subject, func() bool {
		for _, m := range e.all() {
			var v map[string]any
			if m.Subject == subject && json.Unmarshal(m.Data, &v) == nil && ok(v) {
				found = v
				return true
			}
		}
		return false
	})
	return found
}
