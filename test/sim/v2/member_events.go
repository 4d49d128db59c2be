package v2sim

import "strings"

// What the committee service publishes for members (spec §3.7, §3.9).

func (s *Sim) indexMember(b *batch, authz, onBehalfOf, action string, r *memberRecord) {
	full := strings.TrimSpace(r.FirstName + " " + r.LastName)
	cfg := &indexingConfig{
		ObjectID:          r.UID,
		AccessCheckObject: "committee:" + r.CommitteeUID, AccessCheckRelation: "viewer",
		HistoryCheckObject: "committee:" + r.CommitteeUID, HistoryCheckRelation: "auditor",
		SortName:       r.FirstName,
		NameAndAliases: nonEmpty(r.CommitteeName, r.FirstName, r.LastName, r.Username, full),
		ParentRefs:     []string{"committee:" + r.CommitteeUID},
		Fulltext:       strings.Join(nonEmpty(r.FirstName, r.LastName, r.Email, r.Organization.Name), " "),
	}
	tags := []string{r.UID, "committee_member_uid:" + r.UID, "committee_uid:" + r.CommitteeUID,
		"committee_category:" + r.CommitteeCategory, "project_uid:" + r.ProjectUID, "project_slug:" + r.ProjectSlug,
		"username:" + r.Username, "email:" + r.Email, "voting_status:" + r.Voting.Status,
		"organization_id:" + r.Organization.ID, "organization_name:" + r.Organization.Name,
		"organization_website:" + r.Organization.Website}
	b.add(indexMsg{objectType: KindMember, action: action, authz: authz, onBehalfOf: onBehalfOf,
		data: r, config: cfg, tags: tags, tagsAlways: true})
}

// memberEvent is the created/deleted domain event: the member flattened,
// plus skip_notification only when true.
func memberEvent(eventType string, r *memberRecord, skipNotification bool) map[string]any {
	data := jsonMap(r.api()).(map[string]any)
	if skipNotification {
		data["skip_notification"] = true
	}
	return committeeEvent(eventType, data)
}

type memberAccessData struct {
	UID                   string   `json:"uid"`
	Username              string   `json:"username"`
	Relations             []string `json:"relations"`
	MutuallyExclusiveWith []string `json:"mutually_exclusive_with"`
}

func memberAccess(op, cuid, username string, relations []string) fgaMessage {
	return fgaMessage{ObjectType: "committee", Operation: op,
		Data: memberAccessData{UID: cuid, Username: username, Relations: relations}}
}
