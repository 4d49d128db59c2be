package v2sim

import (
	"fmt"
	"strings"
)

func (b *committeeBaseIn) check(v *checks) {
	v.required("project_uid", "body", b.ProjectUID != nil)
	v.required("name", "body", b.Name != nil)
	v.required("category", "body", b.Category != nil)
	v.format("body.project_uid", b.ProjectUID, fmtUUID)
	v.maxLen("body.name", b.Name, 100)
	v.enum("body.category", b.Category, committeeCategories)
	v.maxLen("body.description", b.Description, 2000)
	checkHTTPURL(v, "body.website", b.Website)
	checkHTTPURL(v, "body.repository", b.Repository)
	v.format("body.mailing_list", b.MailingList, fmtEmail)
	v.maxLen("body.chat_channel", b.ChatChannel, 500)
	v.maxLen("body.display_name", b.DisplayName, 100)
	v.format("body.parent_uid", b.ParentUID, fmtUUID)
	v.enum("body.join_mode", b.JoinMode, joinModes)
	checkStrings(v, "body.scope", b.Scope)
	checkStrings(v, "body.deliverables", b.Deliverables)
	v.maxItems("body.key_dates", len(b.KeyDates), 50)
	for i, kd := range b.KeyDates {
		name := fmt.Sprintf("body.key_dates[%d]", i)
		v.required("date", name, kd.Date != nil)
		v.required("label", name, kd.Label != nil)
		v.pattern(name+".date", kd.Date, keyDateRE)
		v.maxLen(name+".label", kd.Label, 200)
	}
	v.maxItems("body.external_sources", len(b.ExternalSources), 50)
	for i := range b.ExternalSources {
		b.ExternalSources[i].check(v, fmt.Sprintf("body.external_sources[%d]", i))
	}
}

func (e *externalSourceIn) check(v *checks, name string) {
	v.required("provider", name, e.Provider != nil)
	v.required("entity_type", name, e.EntityType != nil)
	v.required("label", name, e.Label != nil)
	v.required("url", name, e.URL != nil)
	v.enum(name+".provider", e.Provider, []string{"ocg"})
	v.enum(name+".entity_type", e.EntityType, sourceEntityTypes)
	v.maxLen(name+".label", e.Label, 200)
	checkHTTPURL(v, name+".url", e.URL)
	v.maxLen(name+".url", e.URL, 2048)
	for field, val := range map[string]*string{"external_id": e.ExternalID, "external_category": e.ExternalCategory,
		"external_region": e.ExternalRegion, "external_event_category": e.ExternalEventCategory} {
		v.maxLen(name+"."+field, val, 200)
	}
}

func checkHTTPURL(v *checks, name string, val *string) {
	v.format(name, val, fmtURI)
	v.pattern(name, val, httpURLRE)
}

func checkStrings(v *checks, name string, ss []string) {
	v.maxItems(name, len(ss), 50)
	for i := range ss {
		v.maxLen(fmt.Sprintf("%s[%d]", name, i), &ss[i], 500)
	}
}

func (s *committeeSettingsIn) check(v *checks) {
	v.format("body.last_reviewed_at", s.LastReviewedAt, fmtDateTime)
	v.enum("body.member_visibility", s.MemberVisibility, memberVisibilities)
	v.pattern("body.chat_webhook_url", s.ChatWebhookURL, slackHookRE)
	v.maxLen("body.chat_webhook_url", s.ChatWebhookURL, 500)
	checkCommitteeUsers(v, "body.writers", s.Writers)
	checkCommitteeUsers(v, "body.auditors", s.Auditors)
}

func checkCommitteeUsers(v *checks, name string, us []CommitteeUser) {
	for i := range us {
		n := fmt.Sprintf("%s[%d]", name, i)
		if us[i].Avatar != "" {
			v.format(n+".avatar", &us[i].Avatar, fmtURI)
		}
		if us[i].Email != "" {
			v.format(n+".email", &us[i].Email, fmtEmail)
		}
	}
}

// apply writes the body's writable fields over rec (full replacement);
// read-only fields are left to the caller.
func (b *committeeBaseIn) apply(rec *committeeRecord) {
	rec.ProjectUID, rec.Name, rec.Category = str(b.ProjectUID), str(b.Name), str(b.Category)
	rec.Description, rec.Website, rec.Repository = str(b.Description), str(b.Website), str(b.Repository)
	rec.MailingList, rec.ChatChannel = str(b.MailingList), str(b.ChatChannel)
	rec.EnableVoting, rec.SSOGroupEnabled = boolv(b.EnableVoting), boolv(b.SSOGroupEnabled)
	rec.RequiresReview, rec.Public = boolv(b.RequiresReview), boolv(b.Public)
	rec.Calendar = Calendar{}
	if b.Calendar != nil {
		rec.Calendar.Public = boolv(b.Calendar.Public)
	}
	rec.DisplayName, rec.ParentUID = str(b.DisplayName), str(b.ParentUID)
	rec.JoinMode = str(b.JoinMode)
	if rec.JoinMode == "" {
		rec.JoinMode = defaultJoin
	}
	rec.Scope, rec.Deliverables = b.Scope, b.Deliverables
	rec.KeyDates = nil
	for _, kd := range b.KeyDates {
		rec.KeyDates = append(rec.KeyDates, KeyDate{Date: str(kd.Date), Label: str(kd.Label)})
	}
	rec.ExternalSources = nil
	for _, e := range b.ExternalSources {
		rec.ExternalSources = append(rec.ExternalSources, ExternalSource{Provider: str(e.Provider),
			EntityType: str(e.EntityType), Label: str(e.Label), URL: str(e.URL), ExternalID: str(e.ExternalID),
			ExternalCategory: str(e.ExternalCategory), ExternalRegion: str(e.ExternalRegion),
			ExternalEventCategory: str(e.ExternalEventCategory)})
	}
}

// apply writes the settings body over rec: scalars are replaced (omitted ⇒
// default), writers/auditors and the webhook are kept when null.
func (s *committeeSettingsIn) apply(rec *committeeSettingsRecord) {
	rec.BusinessEmailRequired = boolv(s.BusinessEmailRequired)
	rec.LastReviewedAt, rec.LastReviewedBy = str(s.LastReviewedAt), str(s.LastReviewedBy)
	rec.MemberVisibility = str(s.MemberVisibility)
	if rec.MemberVisibility == "" {
		rec.MemberVisibility = defaultVisib
	}
	rec.ShowMeetingAttendees = boolv(s.ShowMeetingAttendees)
	if s.ChatWebhookURL != nil {
		rec.ChatWebhookURL = *s.ChatWebhookURL
	}
	if s.Writers != nil {
		rec.Writers = mergeUsers(s.Writers, rec.Writers)
	}
	if s.Auditors != nil {
		rec.Auditors = mergeUsers(s.Auditors, rec.Auditors)
	}
}

// mergeUsers fills blanks of each sent user from the stored entry with the
// same username (else the same lower-cased email).
func mergeUsers(sent, stored []CommitteeUser) []CommitteeUser {
	out := make([]CommitteeUser, 0, len(sent))
	for _, u := range sent {
		for _, old := range stored {
			if sameUser(u, old) {
				u = fillUser(u, old)
				break
			}
		}
		out = append(out, u)
	}
	return out
}

func sameUser(a, b CommitteeUser) bool {
	if a.Username != "" || b.Username != "" {
		return a.Username == b.Username
	}
	return a.Email != "" && strings.EqualFold(a.Email, b.Email)
}

func fillUser(u, old CommitteeUser) CommitteeUser {
	if u.Name == "" {
		u.Name = old.Name
	}
	if u.Avatar == "" {
		u.Avatar = old.Avatar
	}
	if u.Email == "" {
		u.Email = old.Email
	}
	return u
}

func (r *committeeRecord) api(projectName string) Committee {
	return Committee{UID: r.UID, ProjectUID: r.ProjectUID, ProjectName: projectName, Name: r.Name,
		Category: r.Category, Description: r.Description, Website: r.Website, Repository: r.Repository,
		MailingList: r.MailingList, ChatChannel: r.ChatChannel, EnableVoting: r.EnableVoting,
		SSOGroupEnabled: r.SSOGroupEnabled, RequiresReview: r.RequiresReview, Public: r.Public,
		Calendar: r.Calendar, DisplayName: r.DisplayName, ParentUID: r.ParentUID, JoinMode: r.JoinMode,
		Scope: r.Scope, Deliverables: r.Deliverables, KeyDates: r.KeyDates, ExternalSources: r.ExternalSources,
		SSOGroupName: r.SSOGroupName, TotalMembers: r.TotalMembers, TotalVotingRepos: r.TotalVotingRepos,
		HasMailingList: r.HasMailingList}
}

func (s *committeeSettingsRecord) api() CommitteeSettings {
	return CommitteeSettings{UID: s.UID, BusinessEmailRequired: s.BusinessEmailRequired,
		LastReviewedAt: s.LastReviewedAt, LastReviewedBy: s.LastReviewedBy, MemberVisibility: s.MemberVisibility,
		ShowMeetingAttendees: s.ShowMeetingAttendees, HasChatWebhook: s.ChatWebhookURL != "",
		Writers: s.Writers, Auditors: s.Auditors, CreatedAt: fmtTS(&s.CreatedAt), UpdatedAt: fmtTS(&s.UpdatedAt)}
}

func fullCommittee(r *committeeRecord, s *committeeSettingsRecord) committeeFull {
	return committeeFull{Committee: r.api(""), BusinessEmailRequired: s.BusinessEmailRequired,
		LastReviewedAt: s.LastReviewedAt, LastReviewedBy: s.LastReviewedBy, MemberVisibility: s.MemberVisibility,
		ShowMeetingAttendees: s.ShowMeetingAttendees, Writers: s.Writers, Auditors: s.Auditors}
}
