package mapids

import (
	"testing"

	"github.com/linuxfoundation/v1sync/stages/intent"
)

func TestCommitteeRules(t *testing.T) {
	h := rulesHarness(t)
	createOnly := []any{"join_mode", "business_email_required"}
	cases := map[string]map[string]any{
		"a0D7k00007i95ubEAA": {"base.category": "Technical Advisory Committee", "base.name": "Open Orbit TAC",
			"base.project_uid": projectUIDOf("a092W0000h8PYh6QAG"), "project_uid": projectUIDOf("a092W0000h8PYh6QAG"),
			"project_sfid": "a092W0000h8PYh6QAG", "base.enable_voting": true, "base.sso_group_enabled": true,
			"base.public": true, "base.display_name": "Open Orbit Technical Advisory Committee",
			"settings.business_email_required": true, "base.join_mode": "closed", "create_only": createOnly,
			"base.mailing_list": "tac@lists.openorbit.example", "base.chat_channel": "#open-orbit-tac",
			"base.website": "https://openorbit.example/tac", "base.description": "Open Orbit TAC of Open Orbit Foundation.",
			"base.requires_review": absent, "base.parent_uid": absent, "base.calendar": absent},
		"a0D7k0000Bo1eIaEQI": {"base.category": "Technical Advisory Committee", "base.public": false},
		"a0D7k0000yFYHkoEAH": {"base.category": "Technical Oversight Committee"},
		// Deliberate fix: "tac" inside "Stacks" is not the word TAC.
		"a0D7k0000qL0pYoEAJ": {"base.category": "Technical Oversight Committee"},
		"a0D7k0000mcRxCsEAK": {"base.category": "Newsletter"},
		"a0D7k0000t1pKnKEAU": {"base.category": "Other"},
		"a0D7k0000Uin4UlEQI": {"base.category": "Other"},
		"a0D7k00001ddfKOEAY": {"base.category": "Other"},
		"a0D7k0000BbgDvjEQE": {"base.category": absent},
		"a0D7k0000tbOZWBEA4": {"base.category": absent},
		"a0D7k00001O0jnKEAR": {"base.website": "https://github.com/open-orbit/orbit-core/blob/main/MAINTAINERS.md",
			"base.name": "Orbit Core Maintainers"},
		"a0D7k0000cTtJ6fEAF": {"base.name": "Data Harbor Joint Working Group on Interoperable Metadata Exchange Formats for Lakehouse and Streaming Catalogs"},
		"a0D7k0000RkFMvSEQW": {"base.website": absent, "base.sso_group_enabled": false, "base.enable_voting": false,
			"base.public": true},
		"a0D7k0000rwkgtTEAQ": {"base.website": "https://lake.dataharbor.example/tsc", "base.enable_voting": true,
			"base.sso_group_enabled": true, "base.public": false, "base.join_mode": "invite_only"},
		"a0D7k0000CU9iY1EQJ": {"base.website": absent},
		"a0D7k0000Mv6ZOQEQ2": {"base.mailing_list": "security-sig-core"},
		"a0D7k0000y3pr2XEAQ": {"base.join_mode": "Open"},
		// JSON null booleans are "not set": v2 keeps its values.
		"a0D7k0000WANzMcEQL": {"base.enable_voting": absent, "base.sso_group_enabled": absent, "base.public": absent,
			"base.description": absent, "base.display_name": absent, "settings.business_email_required": false},
		// v1 false is sent as false so it overrides a v2 true.
		"a0D7k0000GSfzPzEQJ":                   {"base.enable_voting": false, "base.sso_group_enabled": false, "base.public": false},
		"a0D7k0000T9QQ0tEQG":                   {"op": "upsert"},
		"0783115b-6b9a-4cb5-bee4-8ffb69096329": {"base.name": "Runtime Release Team", "principal": "0035e0000g3DjHLAA0"},
		"a0D7k0000AbpxEoEQI":                   {"base.category": "Government Advisory Council"},
		"a0D7k0000yEerDBEAZ":                   {"base.category": "Marketing Oversight Committee/Marketing Advisory Committee"},
	}
	for sfid, fields := range cases {
		it, _ := h.intentFor(prefixCommittee + "." + sfid)
		if it.Op != intent.Upsert || it.Entity != intent.Committee {
			t.Errorf("%s: op %s entity %s", sfid, it.Op, it.Entity)
		}
		expect(t, it, fields)
	}
}

func TestMemberRules(t *testing.T) {
	h := rulesHarness(t)
	tac := committeeUIDOf("a0D7k00007i95ubEAA")
	cases := map[string]map[string]any{
		"a0E9q0000LHMi9KEQT": {"committee_uid": tac, "committee_sfid": "a0D7k00007i95ubEAA",
			"project_sfid": "a092W0000h8PYh6QAG", "contact_sfid": "0035e000007K2QUAA0",
			"base.email": "avery.stone@example.com", "base.username": "astone", "base.first_name": "Avery",
			"base.last_name": "Stone", "base.job_title": "Executive Director",
			"base.role":         map[string]any{"name": "Chair", "start_date": "2025-02-01", "end_date": "2027-01-31"},
			"base.appointed_by": "Vote of TAC Committee", "base.status": "Active",
			"base.voting":           map[string]any{"status": "Voting Rep", "start_date": "2025-02-01", "end_date": "2027-01-31"},
			"base.organization":     map[string]any{"id": "0014x0000o0PRnaAAG", "name": "Larchmont Labs", "website": "http://larchmont.example"},
			"base.linkedin_profile": absent},
		"a0E9q0000lJRCHXEA5": {"contact_sfid": absent, "base.username": nil, "base.first_name": nil},
		"a0E9q0000m1wvMDEAY": {"contact_sfid": absent, "base.username": nil, "base.organization": nil},
		"a0E9q00005B3XIKEA3": {"contact_sfid": absent},
		"a0E9q0000vmoUqMEAU": {"contact_sfid": absent},
		"a0E9q0000TLCyLeEQL": {"contact_sfid": absent},
		"a0E9q0000au9KQtEAM": {"contact_sfid": absent, "base.username": nil},
		"a0E9q0000qp2oHfEAI": {"contact_sfid": absent},
		// 15-character id normalised to its 18-character form before the lookup.
		"a0E9q00007u1jp5EAA": {"contact_sfid": "0035e0000ZOe6kVAQR", "base.username": "emarsh"},
		"a0E9q0000tXNQslEAH": {"contact_sfid": "0035e0000mG2vxHAAR", "base.username": "finley-ashford"},
		"a0E9q0000RnkHqkEQE": {"contact_sfid": "0035e00006yOVp9AAA", "base.username": nil},
		"a0E9q0000YehwChEQI": {"contact_sfid": "0035e0000Yw4Bl1AQE", "base.username": nil, "base.first_name": nil},
		"a0E9q0000vOyb79EAB": {"contact_sfid": "0035e0000fzp2eIAAQ", "base.username": nil, "base.first_name": nil, "base.last_name": nil},
		"a0E9q0000ILUo45EQD": {"base.username": nil},
		"a0E9q0000x7iPK4EAM": {"base.username": nil},
		"a0E9q0000IYJOtXEQX": {"base.role.name": "Counsel"},
		"a0E9q0000Q4fdk5EQA": {"base.role.name": "None"},
		"a0E9q0000JQpcZqEQJ": {"base.role.name": "None"},
		"a0E9q0000gKDtBBEA1": {"base.role.name": "None"},
		"a0E9q0000RwQcoQEQS": {"base.role": nil},
		"a0E9q0000CBLjBvEQL": {"base.role": nil},
		"a0E9q0000aNMSjnEAH": {"base.appointed_by": "None"},
		"a0E9q0000j1z23oEAA": {"base.appointed_by": "None"},
		"a0E9q0000YSY6ldEQD": {"base.appointed_by": "None"},
		"a0E9q00008VenrSEAR": {"base.status": "Active", "base.voting": nil},
		"a0E9q0000dzKtuNEAS": {"base.status": "Inactive", "base.role": map[string]any{"name": "Vice Chair", "end_date": "2025-12-31"}},
		"a0E9q0000bBM1hAEAT": {"base.voting.status": "Voting Representative"},
		"a0E9q0000Kc3EOoEQM": {"base.voting.status": "None"},
		// Dates without a status: no voting object (v2 would default it to None).
		"a0E9q0000HbQgV2EQK": {"base.voting": nil},
		"a0E9q0000XopbsYEQQ": {"base.organization": nil, "base.voting.status": "Voting Rep"},
		"a0E9q0000yMIytxEAD": {"base.email": "Cameron.Copeland@Example.COM"},
		"a0E9q0000WqE1n5EQC": {"committee_sfid": "0783115b-6b9a-4cb5-bee4-8ffb69096329",
			"committee_uid": committeeUIDOf("0783115b-6b9a-4cb5-bee4-8ffb69096329")},
		"144beb5e-6eab-48e1-9340-e59a6e4540bb": {"op": "upsert"},
		"a0E9q00007OJcSQEA1":                   {"base.organization": nil},
		"a0E9q00009YRZmKEAX":                   {"base.role": map[string]any{"name": "Treasurer", "start_date": "2026-03-01", "end_date": "2025-09-30"}},
	}
	for sfid, fields := range cases {
		it, _ := h.intentFor(prefixMember + "." + sfid)
		if it.Op != intent.Upsert || it.Entity != intent.CommitteeMember {
			t.Errorf("%s: op %s entity %s", sfid, it.Op, it.Entity)
		}
		expect(t, it, fields)
	}
}
