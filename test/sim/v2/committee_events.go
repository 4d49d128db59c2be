package v2sim

import (
	"strings"
	"time"
)

// What the committee service sends the indexer and fga-sync (spec §3.9).
// Its indexing configs are concrete, not templates.

func committeeTags(r *committeeRecord) []string {
	tags := []string{"project_uid:" + r.ProjectUID, "project_slug:" + r.ProjectSlug}
	if r.ParentUID != "" {
		tags = append(tags, "parent_uid:"+r.ParentUID)
	}
	tags = append(tags, "category:"+r.Category)
	if r.DisplayName != "" {
		tags = append(tags, "display_name:"+r.DisplayName)
	}
	if r.SSOGroupName != "" {
		tags = append(tags, "sso_group_name:"+r.SSOGroupName)
	}
	return append(tags, r.UID, "committee_uid:"+r.UID)
}

func (s *Sim) indexCommittee(b *batch, authz, onBehalfOf, action string, r *committeeRecord) {
	public := r.Public
	aliases := []string{r.Name}
	if r.DisplayName != "" && r.DisplayName != r.Name {
		aliases = append(aliases, r.DisplayName)
	}
	parents := []string{"project:" + r.ProjectUID}
	if r.ParentUID != "" {
		parents = append(parents, "committee:"+r.ParentUID)
	}
	cfg := &indexingConfig{
		ObjectID: r.UID, Public: &public,
		AccessCheckObject: "committee:" + r.UID, AccessCheckRelation: "viewer",
		HistoryCheckObject: "committee:" + r.UID, HistoryCheckRelation: "auditor",
		SortName: r.Name, NameAndAliases: aliases, ParentRefs: parents,
		Fulltext: strings.Join(dedup(nonEmpty(r.Name, r.DisplayName, r.Description)), " "),
	}
	b.add(indexMsg{objectType: KindCommittee, action: action, authz: authz, onBehalfOf: onBehalfOf,
		data: r, config: cfg, tags: committeeTags(r), tagsAlways: true})
}

// committeeSettingsData is what the indexer gets: no webhook URL.
type committeeSettingsData struct {
	committeeSettingsRecord
	ChatWebhookURL string `json:"chat_webhook_url,omitempty"`
}

func (s *Sim) indexCommitteeSettings(b *batch, authz, onBehalfOf, action string, r *committeeRecord, st *committeeSettingsRecord) {
	public := r.Public
	cfg := &indexingConfig{
		ObjectID: st.UID, Public: &public,
		AccessCheckObject: "committee_settings:" + st.UID, AccessCheckRelation: "auditor",
		HistoryCheckObject: "committee_settings:" + st.UID, HistoryCheckRelation: "auditor",
	}
	data := committeeSettingsData{committeeSettingsRecord: *st}
	b.add(indexMsg{objectType: KindCommitteeSettings, action: action, authz: authz, onBehalfOf: onBehalfOf,
		data: data, config: cfg, tags: committeeTags(r), tagsAlways: true})
}

// committeeAccess is a full sync of the committee's tuples except members.
func committeeAccess(r *committeeRecord, st *committeeSettingsRecord) fgaMessage {
	rel := map[string][]string{}
	for _, u := range st.Writers {
		if u.Username != "" {
			rel["writer"] = append(rel["writer"], u.Username)
		}
	}
	for _, u := range st.Auditors {
		if u.Username != "" {
			rel["auditor"] = append(rel["auditor"], u.Username)
		}
	}
	return fgaMessage{ObjectType: "committee", Operation: "update_access", Data: accessData{
		UID: r.UID, Public: r.Public, Relations: rel,
		References:       map[string][]string{"project": {r.ProjectUID}},
		ExcludeRelations: []string{"member"},
	}}
}

// committeeEvent is the committee service's domain-event envelope.
func committeeEvent(eventType string, data any) map[string]any {
	return map[string]any{
		"event_type": eventType, "subject": subjectCommitteeAPI + eventType,
		"timestamp": time.Now().UTC().Format(time.RFC3339), "version": "1", "data": data,
	}
}

func nonEmpty(ss ...string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
