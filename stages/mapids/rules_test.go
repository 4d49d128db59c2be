package mapids

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/linuxfoundation/v1sync/stages/idmap"
	"github.com/linuxfoundation/v1sync/stages/intent"
)

// absent marks a field that must not be in the body (v2 owns it).
type absentT struct{}

var absent = absentT{}

// lookup follows a dotted path through decoded JSON.
func lookup(m map[string]any, path string) (any, bool) {
	var cur any = m
	for _, part := range strings.Split(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// expect checks field values of one intent: "base.x", "settings.x" or a
// top-level intent field. want nil means JSON null; absent means missing.
func expect(t *testing.T, it intent.Intent, fields map[string]any) {
	t.Helper()
	var whole map[string]any
	raw, _ := json.Marshal(it)
	_ = json.Unmarshal(raw, &whole)
	for path, want := range fields {
		got, ok := lookup(whole, path)
		if want == absent {
			if ok {
				t.Errorf("%s: %s = %#v, want it absent", it.Key, path, got)
			}
			continue
		}
		if !ok {
			t.Errorf("%s: %s is absent, want %#v", it.Key, path, want)
			continue
		}
		if ws, isList := want.([]string); isList {
			list := []any{}
			for _, s := range ws {
				list = append(list, s)
			}
			want = list
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %s = %#v, want %#v", it.Key, path, got, want)
		}
	}
}

// rulesHarness loads the whole sample into v1-objects with every parent
// mapped, except the deleted ones, which are tombstoned.
func rulesHarness(t *testing.T) *harness {
	h := newHarness(t, Deps{Emails: sampleEmails{rows: loadSample(t)["salesforce-alternate_email__c"]}, Orgs: readmeOrgs})
	h.putAllSample(prefixProject, prefixCommittee, prefixMember, prefixMergedUser)
	h.put(prefixB2BUser+".0058c0000pcSKnRAAW", row{"Id": "0058c0000pcSKnRAAW", "FirstName": "Dana", "LastName": "Okafor",
		"Email": "dana.okafor@staff.example", "FullPhotoUrl": "https://photos.example/dokafor.png"})
	deleted := []string{"a092W0000LLWINJQQ5", "a092W00000EmrDAQAZ"}
	h.mapAllProjects(deleted...)
	for _, sfid := range deleted {
		h.mapKey(idmap.ProjectSFIDKey(sfid), idmap.Tombstone)
	}
	h.mapAllCommittees("a0D7k0000Ga9Yc0EQE", "a0D7k0000hRwx0cEAB")
	h.mapKey(idmap.CommitteeSFIDKey("a0D7k0000hRwx0cEAB"), idmap.Tombstone)
	return h
}

func TestProjectRules(t *testing.T) {
	h := rulesHarness(t)
	cases := map[string]map[string]any{
		// Top level: ROOT parent, Active => public; NULL admin category => null; staff set.
		"a092W0000h8PYh6QAG": {
			"base.parent_uid": rootUID, "base.public": true, "base.category": nil, "base.stage": "Active",
			"base.name": "Open Orbit Foundation", "base.slug": "open-orbit", "base.autojoin_enabled": true,
			"base.legal_entity_type": "Incorporated Entity", "base.funding": "Funded",
			"base.funding_model": []string{"Membership"}, "base.formation_date": "2019-03-01",
			"base.charter_url": "https://openorbit.example/charter.pdf", "base.legal_parent_uid": nil,
			"base.legal_entity_name":               "Open Orbit Foundation, Inc.",
			"base.entity_formation_document_url":   "https://docs.openorbit.example/formation/articles.pdf",
			"base.is_foundation":                   absent,
			"settings.mission_statement":           "Advance open infrastructure for orbital-scale computing.",
			"settings.executive_director.username": "astone",
			"settings.executive_director.name":     "Avery Stone",
			"settings.executive_director.email":    "avery.stone@example.com",
			"settings.executive_director.avatar":   "https://avatars.example/u/astone.png",
			"settings.program_manager.username":    "jbrook",
			"settings.program_manager.email":       "jordan.brook@example.org",
			"settings.opportunity_owner.name":      "Dana Okafor",
			"settings.opportunity_owner.email":     "dana.okafor@staff.example",
			"settings.opportunity_owner.avatar":    "https://photos.example/dokafor.png",
			"settings.opportunity_owner.username":  absent,
			"settings.announcement_date":           absent,
			"settings.writers":                     absent,
			"principal":                            "0035e0000ZOe6kVAQR",
			"project_uid":                          absent,
		},
		// "a; b" funding split and trimmed; URLs without scheme get https://.
		"a092W0000uIINFIQA5": {"base.funding_model": []string{"Membership", "Crowdfunding"},
			"base.charter_url": "https://cloudlattice.example/governance/charter",
			"base.website_url": "https://cloudlattice.example", "base.autojoin_enabled": false},
		// 'nil' charter omitted; http:// kept; no-space split; NULL auto_join => null.
		"a092W0000RqzyFqQQI": {"base.charter_url": nil, "base.website_url": "http://dataharbor.example",
			"base.funding_model": []string{"Membership", "Alternate Funding"}, "base.autojoin_enabled": nil,
			"base.description": "Open data lake, streaming and catalog projects. It's the Harbor's umbrella.",
			"base.category":    "Growth"},
		// Formation => not public; ED username with a space and PM with '@' are misses.
		"a092W0000DIDyz4QQD": {"base.public": false, "base.website_url": nil,
			"settings.executive_director": absent, "settings.program_manager": absent,
			"settings.announcement_date": "2026-09-15"},
		"a092W0000hBEkHDQA1": {"base.public": false, "base.stage": "Archived", "base.entity_dissolution_date": "2025-10-31"},
		// Child of a public Active parent.
		"a092W0000dZUf19QAD": {"base.public": true, "base.parent_uid": projectUIDOf("a092W0000h8PYh6QAG"),
			"base.repository_url": "https://github.com/open-orbit/orbit-core"},
		"a092W0000JnSK7QQQW": {"base.slug": "orbit-telemetry", "base.website_url": "https://telemetry.openorbit.example"},
		"a092W0000pNAx8iQAD": {"base.slug": "orbit.docs"},
		"a092W0000jhC0VIQA0": {"base.legal_parent_uid": projectUIDOf("a092W0000uIINFIQA5"),
			"base.entity_formation_document_url": "https://docs.cloudlattice.example/runtime/formation.pdf",
			"base.description":                   ""},
		"a092W0000jmM4mNQAS": {"principal": "someotherclient@clients"},
		"a092W00005vZnHxQAK": {"base.category": "NONE", "principal": "00Q5e00000LdX7qEAF"},
		"a092W0000J1IxHMQQ0": {"base.category": "Working Group", "base.legal_entity_type": "Internal Allocation"},
		"a092W0000fMsdRZQAZ": {"base.funding_model": []string{"Membership", "Crowdfunding"}},
		"a092W00009q4tWOQAY": {"base.legal_entity_type": "Directed Fund",
			"base.funding_model": []string{"Membership", "Event Sponsorship"}},
		// Active child of a Formation parent.
		"a092W0000NLuatvQQB": {"base.public": false},
		"a092W0000RaWfiXQQS": {"base.stage": "Formation - Engaged", "base.category": nil},
		"a092W00009xfB7HQAU": {"base.public": true},
		"a092W0000c4jwVCQAY": {"base.category": "NONE", "principal": absent},
		"a092W0000zoDtXbQAK": {"base.category": "TAG"},
		"a092W00002iR86EQAS": {"settings.executive_director.name": "Zoë Hartwell"},
		// Deleted ED => unset; 24-hex username is a valid staff username.
		"a092W0000TthrmiQQA": {"settings.executive_director": absent, "settings.program_manager.username": "5f2a9c1e7b3d4a6f8e0c2b1a"},
		"a092W000024u72iQAA": {"base.category": "NONE"},
		"a092W0000hMDKJSQA5": {"base.funding_model": nil},
		// Grandparent Formation => not public.
		"a092W0000rbRVnWQAW": {"base.public": false},
		// ED absent from merged_user => unset; PM without email rows => no email.
		"a092W0000F1JwK7QQK": {"settings.executive_director": absent, "settings.program_manager.username": "slarkspur",
			"settings.program_manager.email": absent, "base.logo_url": "https://cdn.projects.example/logos/orbit-security-advisories.svg"},
		"a092W0000QcTlL5QQK": {"base.stage": nil, "base.legal_entity_type": nil, "base.public": false, "base.category": "NONE"},
		"a092W00007eWNPhQAO": {"base.stage": nil, "base.category": nil, "base.legal_entity_type": nil},
	}
	for sfid, fields := range cases {
		it, _ := h.intentFor(prefixProject + "." + sfid)
		if it.Op != intent.Upsert || it.Entity != intent.Project || it.V1ID != sfid {
			t.Errorf("%s: op %s entity %s v1 id %s", sfid, it.Op, it.Entity, it.V1ID)
		}
		expect(t, it, fields)
	}
}
