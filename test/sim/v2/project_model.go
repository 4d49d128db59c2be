package v2sim

import (
	"regexp"
	"time"
)

// Project enums and patterns (spec §2.2).
var (
	projectStages = []string{"Formation - Exploratory", "Formation - Engaged", "Active", "Archived",
		"Formation - On Hold", "Formation - Disengaged", "Formation - Confidential", "Prospect"}
	projectCategories = []string{"Active", "Adopted", "Archived", "At-Large", "Early Adoption", "Emeritus",
		"Graduated", "Growth", "Idle", "Impact", "Incubating", "Kanister", "Mature", "Pre-LFESS", "Sandbox",
		"SIG", "Standards", "TAC", "Working Group", "TAG", "NONE"}
	projectFundings      = []string{"Funded", "Unfunded", "Supported by Parent Project"}
	projectFundingModels = []string{"Crowdfunding", "Membership", "Alternate Funding"}
	legalEntityTypes     = []string{"Subproject", "Incorporated Entity", "Series LLC", "Unofficial Subproject",
		"Internal Allocation", "None"}

	slugRE        = regexp.MustCompile(`^[a-z][a-z0-9_\-]*[a-z0-9]$`)
	userEmailRE   = regexp.MustCompile(`^$|^[a-zA-Z0-9._%+\-]+@[a-zA-Z0-9.\-]+\.[a-zA-Z]{2,}$`)
	userAvatarRE  = regexp.MustCompile(`^$|^[a-zA-Z][a-zA-Z0-9+.\-]*:.+$`)
	stageArchived = "Archived"
)

// projectBaseIn is the writable base of a project as sent; pointers tell
// "omitted" from "zero" because PUT clears what is omitted.
type projectBaseIn struct {
	Slug                       *string  `json:"slug"`
	Name                       *string  `json:"name"`
	Description                *string  `json:"description"`
	Public                     *bool    `json:"public"`
	IsFoundation               *bool    `json:"is_foundation"`
	ParentUID                  *string  `json:"parent_uid"`
	Stage                      *string  `json:"stage"`
	Category                   *string  `json:"category"`
	Funding                    *string  `json:"funding"`
	FundingModel               []string `json:"funding_model"`
	CharterURL                 *string  `json:"charter_url"`
	LogoURL                    *string  `json:"logo_url"`
	WebsiteURL                 *string  `json:"website_url"`
	RepositoryURL              *string  `json:"repository_url"`
	EntityFormationDocumentURL *string  `json:"entity_formation_document_url"`
	LegalEntityType            *string  `json:"legal_entity_type"`
	LegalEntityName            *string  `json:"legal_entity_name"`
	LegalParentUID             *string  `json:"legal_parent_uid"`
	EntityDissolutionDate      *string  `json:"entity_dissolution_date"`
	FormationDate              *string  `json:"formation_date"`
	AutojoinEnabled            *bool    `json:"autojoin_enabled"`
}

// projectSettingsIn is the writable settings of a project.
type projectSettingsIn struct {
	MissionStatement    *string    `json:"mission_statement"`
	AnnouncementDate    *string    `json:"announcement_date"`
	Writers             []UserInfo `json:"writers"`
	Auditors            []UserInfo `json:"auditors"`
	MeetingCoordinators []UserInfo `json:"meeting_coordinators"`
	ExecutiveDirector   *UserInfo  `json:"executive_director"`
	ProgramManager      *UserInfo  `json:"program_manager"`
	OpportunityOwner    *UserInfo  `json:"opportunity_owner"`
}

// projectCreateIn is POST /projects: base and settings, flat.
type projectCreateIn struct {
	projectBaseIn
	projectSettingsIn
}

// UserInfo is a project role holder.
type UserInfo struct {
	Name     string  `json:"name,omitempty"`
	Email    string  `json:"email,omitempty"`
	Username string  `json:"username,omitempty"`
	Avatar   string  `json:"avatar,omitempty"`
	Invite   *Invite `json:"invite,omitempty"`
}

// Invite is legacy, server-managed invitation data.
type Invite struct {
	UID       string `json:"uid,omitempty"`
	Email     string `json:"email,omitempty"`
	ExpiresAt string `json:"expires_at,omitempty"`
}

// projectRecord is the KV value of projects/<uid>: no omitempty and dates as
// full timestamps, like the service's Go model.
type projectRecord struct {
	UID                        string     `json:"uid"`
	Slug                       string     `json:"slug"`
	Name                       string     `json:"name"`
	Description                string     `json:"description"`
	Public                     bool       `json:"public"`
	IsFoundation               bool       `json:"is_foundation"`
	ParentUID                  string     `json:"parent_uid"`
	Stage                      string     `json:"stage"`
	Category                   string     `json:"category"`
	Funding                    string     `json:"funding"`
	FundingModel               []string   `json:"funding_model"`
	CharterURL                 string     `json:"charter_url"`
	LogoURL                    string     `json:"logo_url"`
	WebsiteURL                 string     `json:"website_url"`
	RepositoryURL              string     `json:"repository_url"`
	EntityFormationDocumentURL string     `json:"entity_formation_document_url"`
	LegalEntityType            string     `json:"legal_entity_type"`
	LegalEntityName            string     `json:"legal_entity_name"`
	LegalParentUID             string     `json:"legal_parent_uid"`
	EntityDissolutionDate      *time.Time `json:"entity_dissolution_date"`
	FormationDate              *time.Time `json:"formation_date"`
	AutojoinEnabled            bool       `json:"autojoin_enabled"`
	CreatedAt                  *time.Time `json:"created_at"`
	UpdatedAt                  *time.Time `json:"updated_at"`
}

// projectSettingsRecord is the KV value of project-settings/<uid>.
type projectSettingsRecord struct {
	UID                 string     `json:"uid"`
	MissionStatement    string     `json:"mission_statement"`
	AnnouncementDate    *time.Time `json:"announcement_date"`
	Writers             []UserInfo `json:"writers"`
	Auditors            []UserInfo `json:"auditors"`
	MeetingCoordinators []UserInfo `json:"meeting_coordinators"`
	ExecutiveDirector   *UserInfo  `json:"executive_director"`
	ProgramManager      *UserInfo  `json:"program_manager"`
	OpportunityOwner    *UserInfo  `json:"opportunity_owner"`
	CreatedAt           *time.Time `json:"created_at"`
	UpdatedAt           *time.Time `json:"updated_at"`
}

// ProjectBase is the API rendering of a project's base: empty strings and
// arrays omitted, the three booleans always present.
type ProjectBase struct {
	UID                        string   `json:"uid,omitempty"`
	Slug                       string   `json:"slug,omitempty"`
	Name                       string   `json:"name,omitempty"`
	Description                string   `json:"description,omitempty"`
	Public                     bool     `json:"public"`
	IsFoundation               bool     `json:"is_foundation"`
	ParentUID                  string   `json:"parent_uid,omitempty"`
	Stage                      string   `json:"stage,omitempty"`
	Category                   string   `json:"category,omitempty"`
	Funding                    string   `json:"funding,omitempty"`
	FundingModel               []string `json:"funding_model,omitempty"`
	CharterURL                 string   `json:"charter_url,omitempty"`
	LogoURL                    string   `json:"logo_url,omitempty"`
	WebsiteURL                 string   `json:"website_url,omitempty"`
	RepositoryURL              string   `json:"repository_url,omitempty"`
	EntityFormationDocumentURL string   `json:"entity_formation_document_url,omitempty"`
	LegalEntityType            string   `json:"legal_entity_type,omitempty"`
	LegalEntityName            string   `json:"legal_entity_name,omitempty"`
	LegalParentUID             string   `json:"legal_parent_uid,omitempty"`
	EntityDissolutionDate      string   `json:"entity_dissolution_date,omitempty"`
	FormationDate              string   `json:"formation_date,omitempty"`
	AutojoinEnabled            bool     `json:"autojoin_enabled"`
	CreatedAt                  string   `json:"created_at,omitempty"`
	UpdatedAt                  string   `json:"updated_at,omitempty"`
}

// ProjectSettings is the API rendering of a project's settings.
type ProjectSettings struct {
	UID                 string     `json:"uid,omitempty"`
	MissionStatement    string     `json:"mission_statement,omitempty"`
	AnnouncementDate    string     `json:"announcement_date,omitempty"`
	Writers             []UserInfo `json:"writers,omitempty"`
	Auditors            []UserInfo `json:"auditors,omitempty"`
	MeetingCoordinators []UserInfo `json:"meeting_coordinators,omitempty"`
	ExecutiveDirector   *UserInfo  `json:"executive_director,omitempty"`
	ProgramManager      *UserInfo  `json:"program_manager,omitempty"`
	OpportunityOwner    *UserInfo  `json:"opportunity_owner,omitempty"`
	CreatedAt           string     `json:"created_at,omitempty"`
	UpdatedAt           string     `json:"updated_at,omitempty"`
}

// projectFull is POST's answer: base and settings flat. The settings' uid
// and timestamps coincide with the base's, so the base's win.
type projectFull struct {
	ProjectBase
	MissionStatement    string     `json:"mission_statement,omitempty"`
	AnnouncementDate    string     `json:"announcement_date,omitempty"`
	Writers             []UserInfo `json:"writers,omitempty"`
	Auditors            []UserInfo `json:"auditors,omitempty"`
	MeetingCoordinators []UserInfo `json:"meeting_coordinators,omitempty"`
	ExecutiveDirector   *UserInfo  `json:"executive_director,omitempty"`
	ProgramManager      *UserInfo  `json:"program_manager,omitempty"`
	OpportunityOwner    *UserInfo  `json:"opportunity_owner,omitempty"`
}
