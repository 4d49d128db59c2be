package write

import (
	"testing"

	"github.com/linuxfoundation/v1sync/stages/intent"
)

// Intent builders with the v1-objects keys and v2 field names the map stage
// produces.

func projectIntent(t testing.TB, sfid string, rev uint64, base, settings map[string]any) intent.Intent {
	in := intent.Intent{Entity: intent.Project, Op: intent.Upsert, Key: "salesforce-project__c." + sfid,
		V1ID: sfid, SourceRevision: rev, Base: raw(t, base)}
	if settings != nil {
		in.Settings = raw(t, settings)
	}
	return in
}

func projectBase(rootUID, slug, name string) map[string]any {
	return map[string]any{"slug": slug, "name": name, "description": "about " + name,
		"parent_uid": rootUID, "stage": "Formation - Exploratory", "public": false,
		"funding_model": []string{"Crowdfunding"}, "category": "Sandbox"}
}

func committeeIntent(t testing.TB, sfid string, rev uint64, projectUID, projectSFID string, base map[string]any) intent.Intent {
	return intent.Intent{Entity: intent.Committee, Op: intent.Upsert, Key: "platform-collaboration__c." + sfid,
		V1ID: sfid, SourceRevision: rev, ProjectUID: projectUID, ProjectSFID: projectSFID,
		Base: raw(t, base)}
}

func committeeBase(projectUID, name string) map[string]any {
	return map[string]any{"name": name, "project_uid": projectUID, "category": "Board",
		"description": "the " + name, "sso_group_enabled": true, "public": false}
}

func memberIntent(t testing.TB, sfid string, rev uint64, c committeeRef, base map[string]any) intent.Intent {
	return intent.Intent{Entity: intent.CommitteeMember, Op: intent.Upsert, Key: "platform-community__c." + sfid,
		V1ID: sfid, SourceRevision: rev, ProjectSFID: c.projectSFID, CommitteeUID: c.uid,
		CommitteeSFID: c.sfid, ContactSFID: "003" + sfid, Base: raw(t, base)}
}

type committeeRef struct{ uid, sfid, projectSFID string }

func memberBase(email, first string) map[string]any {
	return map[string]any{"email": email, "first_name": first, "last_name": "Doe",
		"job_title": "Engineer", "appointed_by": "Community", "status": "Active",
		"role": map[string]any{"name": "Chair"}}
}

func deleteIntent(in intent.Intent, rev uint64) intent.Intent {
	d := intent.Intent{Entity: in.Entity, Op: intent.Delete, Key: in.Key, V1ID: in.V1ID, SourceRevision: rev,
		ProjectSFID: in.ProjectSFID, CommitteeUID: in.CommitteeUID, CommitteeSFID: in.CommitteeSFID}
	return d
}
