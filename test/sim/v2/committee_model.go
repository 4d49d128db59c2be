package v2sim

import (
	"regexp"
	"time"
)

// Committee enums and patterns (spec §3.2, §3.3).
var (
	committeeCategories = []string{"Ambassador", "Board", "Code of Conduct", "Committers", "Expert Group",
		"Finance Committee", "Government Advisory Council", "Legal Committee", "Maintainers",
		"Marketing Committee/Sub Committee", "Marketing Mailing List",
		"Marketing Oversight Committee/Marketing Advisory Committee", "Newsletter", "Other", "Product Security",
		"Special Interest Group", "Technical Advisory Committee", "Technical Mailing List",
		"Technical Oversight Committee", "Technical Steering Committee", "Working Group"}
	joinModes          = []string{"open", "invite_only", "application", "closed"}
	memberVisibilities = []string{"hidden", "basic_profile"}
	sourceEntityTypes  = []string{"community", "group", "event"}

	httpURLRE    = regexp.MustCompile(`^https?://[^\s/$.?#][^\s]*$`)
	keyDateRE    = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])$`)
	slackHookRE  = regexp.MustCompile(`^$|^https://hooks\.slack\.com/.+$`)
	defaultJoin  = "invite_only"
	defaultVisib = "hidden"
)

// committeeBaseIn is the writable base as sent.
type committeeBaseIn struct {
	ProjectUID      *string            `json:"project_uid"`
	Name            *string            `json:"name"`
	Category        *string            `json:"category"`
	Description     *string            `json:"description"`
	Website         *string            `json:"website"`
	Repository      *string            `json:"repository"`
	MailingList     *string            `json:"mailing_list"`
	ChatChannel     *string            `json:"chat_channel"`
	EnableVoting    *bool              `json:"enable_voting"`
	SSOGroupEnabled *bool              `json:"sso_group_enabled"`
	RequiresReview  *bool              `json:"requires_review"`
	Public          *bool              `json:"public"`
	Calendar        *calendarIn        `json:"calendar"`
	DisplayName     *string            `json:"display_name"`
	ParentUID       *string            `json:"parent_uid"`
	JoinMode        *string            `json:"join_mode"`
	Scope           []string           `json:"scope"`
	Deliverables    []string           `json:"deliverables"`
	KeyDates        []keyDateIn        `json:"key_dates"`
	ExternalSources []externalSourceIn `json:"external_sources"`
}

type calendarIn struct {
	Public *bool `json:"public"`
}

type keyDateIn struct {
	Date  *string `json:"date"`
	Label *string `json:"label"`
}

type externalSourceIn struct {
	Provider              *string `json:"provider"`
	EntityType            *string `json:"entity_type"`
	Label                 *string `json:"label"`
	URL                   *string `json:"url"`
	ExternalID            *string `json:"external_id"`
	ExternalCategory      *string `json:"external_category"`
	ExternalRegion        *string `json:"external_region"`
	ExternalEventCategory *string `json:"external_event_category"`
}

// committeeSettingsIn is the writable settings as sent. Writers and
// Auditors distinguish null (keep) from [] (clear), as the service does.
type committeeSettingsIn struct {
	BusinessEmailRequired *bool           `json:"business_email_required"`
	LastReviewedAt        *string         `json:"last_reviewed_at"`
	LastReviewedBy        *string         `json:"last_reviewed_by"`
	MemberVisibility      *string         `json:"member_visibility"`
	ShowMeetingAttendees  *bool           `json:"show_meeting_attendees"`
	ChatWebhookURL        *string         `json:"chat_webhook_url"`
	Writers               []CommitteeUser `json:"writers"`
	Auditors              []CommitteeUser `json:"auditors"`
}

type committeeCreateIn struct {
	committeeBaseIn
	committeeSettingsIn
}

// CommitteeUser is a committee writer or auditor.
type CommitteeUser struct {
	Avatar   string `json:"avatar,omitempty"`
	Email    string `json:"email,omitempty"`
	Name     string `json:"name,omitempty"`
	Username string `json:"username,omitempty"`
}

// Calendar is the committee calendar setting.
type Calendar struct {
	Public bool `json:"public"`
}

// KeyDate is a committee milestone (month precision).
type KeyDate struct {
	Date  string `json:"date"`
	Label string `json:"label"`
}

// ExternalSource links a committee to an outside community.
type ExternalSource struct {
	Provider              string `json:"provider"`
	EntityType            string `json:"entity_type"`
	Label                 string `json:"label"`
	URL                   string `json:"url"`
	ExternalID            string `json:"external_id,omitempty"`
	ExternalCategory      string `json:"external_category,omitempty"`
	ExternalRegion        string `json:"external_region,omitempty"`
	ExternalEventCategory string `json:"external_event_category,omitempty"`
}

// committeeRecord is the KV value of committees/<uid>.
type committeeRecord struct {
	UID              string           `json:"uid"`
	ProjectUID       string           `json:"project_uid"`
	ProjectSlug      string           `json:"project_slug"`
	Name             string           `json:"name"`
	Category         string           `json:"category"`
	Description      string           `json:"description"`
	Website          string           `json:"website"`
	Repository       string           `json:"repository"`
	MailingList      string           `json:"mailing_list"`
	ChatChannel      string           `json:"chat_channel"`
	EnableVoting     bool             `json:"enable_voting"`
	SSOGroupEnabled  bool             `json:"sso_group_enabled"`
	RequiresReview   bool             `json:"requires_review"`
	Public           bool             `json:"public"`
	Calendar         Calendar         `json:"calendar"`
	DisplayName      string           `json:"display_name"`
	ParentUID        string           `json:"parent_uid"`
	JoinMode         string           `json:"join_mode"`
	Scope            []string         `json:"scope"`
	Deliverables     []string         `json:"deliverables"`
	KeyDates         []KeyDate        `json:"key_dates"`
	ExternalSources  []ExternalSource `json:"external_sources"`
	SSOGroupName     string           `json:"sso_group_name"`
	TotalMembers     int              `json:"total_members"`
	TotalVotingRepos int              `json:"total_voting_repos"`
	HasMailingList   bool             `json:"has_mailing_list"`
	CreatedAt        time.Time        `json:"created_at"`
	UpdatedAt        time.Time        `json:"updated_at"`
}

// committeeSettingsRecord is the KV value of committee-settings/<uid>.
type committeeSettingsRecord struct {
	UID                   string          `json:"uid"`
	BusinessEmailRequired bool            `json:"business_email_required"`
	LastReviewedAt        string          `json:"last_reviewed_at"`
	LastReviewedBy        string          `json:"last_reviewed_by"`
	MemberVisibility      string          `json:"member_visibility"`
	ShowMeetingAttendees  bool            `json:"show_meeting_attendees"`
	ChatWebhookURL        string          `json:"chat_webhook_url"`
	Writers               []CommitteeUser `json:"writers"`
	Auditors              []CommitteeUser `json:"auditors"`
	CreatedAt             time.Time       `json:"created_at"`
	UpdatedAt             time.Time       `json:"updated_at"`
}

// Committee is the API rendering of a committee base with its read-only
// attributes; it has no timestamps.
type Committee struct {
	UID              string           `json:"uid"`
	ProjectUID       string           `json:"project_uid"`
	ProjectName      string           `json:"project_name,omitempty"`
	Name             string           `json:"name"`
	Category         string           `json:"category"`
	Description      string           `json:"description,omitempty"`
	Website          string           `json:"website,omitempty"`
	Repository       string           `json:"repository,omitempty"`
	MailingList      string           `json:"mailing_list,omitempty"`
	ChatChannel      string           `json:"chat_channel,omitempty"`
	EnableVoting     bool             `json:"enable_voting"`
	SSOGroupEnabled  bool             `json:"sso_group_enabled"`
	RequiresReview   bool             `json:"requires_review"`
	Public           bool             `json:"public"`
	Calendar         Calendar         `json:"calendar"`
	DisplayName      string           `json:"display_name,omitempty"`
	ParentUID        string           `json:"parent_uid,omitempty"`
	JoinMode         string           `json:"join_mode,omitempty"`
	Scope            []string         `json:"scope,omitempty"`
	Deliverables     []string         `json:"deliverables,omitempty"`
	KeyDates         []KeyDate        `json:"key_dates,omitempty"`
	ExternalSources  []ExternalSource `json:"external_sources,omitempty"`
	SSOGroupName     string           `json:"sso_group_name,omitempty"`
	TotalMembers     int              `json:"total_members"`
	TotalVotingRepos int              `json:"total_voting_repos"`
	HasMailingList   bool             `json:"has_mailing_list"`
}

// CommitteeSettings is the API rendering of committee settings; the
// webhook URL is write-only.
type CommitteeSettings struct {
	UID                   string          `json:"uid"`
	BusinessEmailRequired bool            `json:"business_email_required"`
	LastReviewedAt        string          `json:"last_reviewed_at,omitempty"`
	LastReviewedBy        string          `json:"last_reviewed_by,omitempty"`
	MemberVisibility      string          `json:"member_visibility,omitempty"`
	ShowMeetingAttendees  bool            `json:"show_meeting_attendees"`
	HasChatWebhook        bool            `json:"has_chat_webhook"`
	Writers               []CommitteeUser `json:"writers,omitempty"`
	Auditors              []CommitteeUser `json:"auditors,omitempty"`
	CreatedAt             string          `json:"created_at,omitempty"`
	UpdatedAt             string          `json:"updated_at,omitempty"`
}

// committeeFull is POST /committees' answer: base and settings, flat.
type committeeFull struct {
	Committee
	BusinessEmailRequired bool            `json:"business_email_required"`
	LastReviewedAt        string          `json:"last_reviewed_at,omitempty"`
	LastReviewedBy        string          `json:"last_reviewed_by,omitempty"`
	MemberVisibility      string          `json:"member_visibility,omitempty"`
	ShowMeetingAttendees  bool            `json:"show_meeting_attendees"`
	Writers               []CommitteeUser `json:"writers,omitempty"`
	Auditors              []CommitteeUser `json:"auditors,omitempty"`
}
