package v2sim

import (
	"fmt"
	"strings"
	"time"
)

// check applies the Goa rules of the base attributes (POST and PUT alike).
func (b *projectBaseIn) check(v *checks) {
	v.required("slug", "body", b.Slug != nil)
	v.required("description", "body", b.Description != nil)
	v.required("name", "body", b.Name != nil)
	v.required("parent_uid", "body", b.ParentUID != nil)
	v.pattern("body.slug", b.Slug, slugRE)
	v.enum("body.stage", b.Stage, projectStages)
	v.enum("body.category", b.Category, projectCategories)
	v.enum("body.funding", b.Funding, projectFundings)
	for i := range b.FundingModel {
		v.enum(fmt.Sprintf("body.funding_model[%d]", i), &b.FundingModel[i], projectFundingModels)
	}
	v.format("body.charter_url", b.CharterURL, fmtURI)
	v.format("body.logo_url", b.LogoURL, fmtURI)
	v.format("body.website_url", b.WebsiteURL, fmtURI)
	v.format("body.repository_url", b.RepositoryURL, fmtURI)
	v.format("body.entity_formation_document_url", b.EntityFormationDocumentURL, fmtURI)
	v.enum("body.legal_entity_type", b.LegalEntityType, legalEntityTypes)
	v.format("body.legal_parent_uid", b.LegalParentUID, fmtUUID)
	v.format("body.entity_dissolution_date", b.EntityDissolutionDate, formatDate)
	v.format("body.formation_date", b.FormationDate, formatDate)
}

// archivedRule is the first domain check after Goa validation.
func (b *projectBaseIn) archivedRule() error {
	if str(b.Stage) == stageArchived && strings.TrimSpace(str(b.EntityDissolutionDate)) == "" {
		return domainErr(400, "entity dissolution date is required when project stage is 'Archived'")
	}
	return nil
}

func (s *projectSettingsIn) check(v *checks) {
	v.format("body.announcement_date", s.AnnouncementDate, formatDate)
	checkUsers(v, "body.writers", s.Writers)
	checkUsers(v, "body.auditors", s.Auditors)
	checkUsers(v, "body.meeting_coordinators", s.MeetingCoordinators)
	for name, u := range map[string]*UserInfo{"body.executive_director": s.ExecutiveDirector,
		"body.program_manager": s.ProgramManager, "body.opportunity_owner": s.OpportunityOwner} {
		if u != nil {
			checkUser(v, name, u)
		}
	}
}

func checkUsers(v *checks, name string, us []UserInfo) {
	for i := range us {
		checkUser(v, fmt.Sprintf("%s[%d]", name, i), &us[i])
	}
}

func checkUser(v *checks, name string, u *UserInfo) {
	v.pattern(name+".email", &u.Email, userEmailRE)
	v.pattern(name+".avatar", &u.Avatar, userAvatarRE)
}

// record builds the stored base from the body: every writable field comes
// from the body, so omitted optionals are cleared (PUT is replacement).
func (b *projectBaseIn) record(uid string, created, now time.Time) projectRecord {
	return projectRecord{
		UID: uid, Slug: str(b.Slug), Name: str(b.Name), Description: str(b.Description),
		Public: boolv(b.Public), IsFoundation: boolv(b.IsFoundation), ParentUID: str(b.ParentUID),
		Stage: str(b.Stage), Category: str(b.Category), Funding: str(b.Funding), FundingModel: b.FundingModel,
		CharterURL: str(b.CharterURL), LogoURL: str(b.LogoURL), WebsiteURL: str(b.WebsiteURL),
		RepositoryURL: str(b.RepositoryURL), EntityFormationDocumentURL: str(b.EntityFormationDocumentURL),
		LegalEntityType: str(b.LegalEntityType), LegalEntityName: str(b.LegalEntityName),
		LegalParentUID: str(b.LegalParentUID), EntityDissolutionDate: parseDate(b.EntityDissolutionDate),
		FormationDate: parseDate(b.FormationDate), AutojoinEnabled: boolv(b.AutojoinEnabled),
		CreatedAt: &created, UpdatedAt: &now,
	}
}

func (s *projectSettingsIn) record(uid string, created, now time.Time) projectSettingsRecord {
	return projectSettingsRecord{
		UID: uid, MissionStatement: str(s.MissionStatement), AnnouncementDate: parseDate(s.AnnouncementDate),
		Writers: s.Writers, Auditors: s.Auditors, MeetingCoordinators: s.MeetingCoordinators,
		ExecutiveDirector: s.ExecutiveDirector, ProgramManager: s.ProgramManager, OpportunityOwner: s.OpportunityOwner,
		CreatedAt: &created, UpdatedAt: &now,
	}
}

func (p *projectRecord) api() ProjectBase {
	return ProjectBase{
		UID: p.UID, Slug: p.Slug, Name: p.Name, Description: p.Description, Public: p.Public,
		IsFoundation: p.IsFoundation, ParentUID: p.ParentUID, Stage: p.Stage, Category: p.Category,
		Funding: p.Funding, FundingModel: p.FundingModel, CharterURL: p.CharterURL, LogoURL: p.LogoURL,
		WebsiteURL: p.WebsiteURL, RepositoryURL: p.RepositoryURL, EntityFormationDocumentURL: p.EntityFormationDocumentURL,
		LegalEntityType: p.LegalEntityType, LegalEntityName: p.LegalEntityName, LegalParentUID: p.LegalParentUID,
		EntityDissolutionDate: fmtDate(p.EntityDissolutionDate), FormationDate: fmtDate(p.FormationDate),
		AutojoinEnabled: p.AutojoinEnabled, CreatedAt: fmtTS(p.CreatedAt), UpdatedAt: fmtTS(p.UpdatedAt),
	}
}

func (s *projectSettingsRecord) api() ProjectSettings {
	return ProjectSettings{
		UID: s.UID, MissionStatement: s.MissionStatement, AnnouncementDate: fmtDate(s.AnnouncementDate),
		Writers: s.Writers, Auditors: s.Auditors, MeetingCoordinators: s.MeetingCoordinators,
		ExecutiveDirector: s.ExecutiveDirector, ProgramManager: s.ProgramManager, OpportunityOwner: s.OpportunityOwner,
		CreatedAt: fmtTS(s.CreatedAt), UpdatedAt: fmtTS(s.UpdatedAt),
	}
}

func fullProject(p *projectRecord, s *projectSettingsRecord) projectFull {
	a := s.api()
	return projectFull{ProjectBase: p.api(), MissionStatement: a.MissionStatement, AnnouncementDate: a.AnnouncementDate,
		Writers: a.Writers, Auditors: a.Auditors, MeetingCoordinators: a.MeetingCoordinators,
		ExecutiveDirector: a.ExecutiveDirector, ProgramManager: a.ProgramManager, OpportunityOwner: a.OpportunityOwner}
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func boolv(p *bool) bool { return p != nil && *p }

// parseDate turns a validated YYYY-MM-DD into the full timestamp the KV holds.
func parseDate(p *string) *time.Time {
	if p == nil || *p == "" {
		return nil
	}
	t, err := time.Parse(time.DateOnly, *p)
	if err != nil {
		return nil
	}
	return &t
}

func fmtDate(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

func fmtTS(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
