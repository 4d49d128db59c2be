package v2sim

import (
	"regexp"
	"time"
)

// Member enums and patterns (spec §3.7).
var (
	memberRoles = []string{"Chair", "Developer Seat", "TAC/TOC Representative", "Director", "Lead", "None",
		"Secretary", "Technical Lead", "Treasurer", "Vice Chair", "LF Staff"}
	appointedBy = []string{"Community", "Membership Entitlement", "Vote of End User Member Class",
		"Vote of TSC Committee", "Vote of TAC Committee", "Vote of Academic Member Class", "Vote of Lab Member Class",
		"Vote of Marketing Committee", "Vote of Governing Board", "Vote of General Member Class",
		"Vote of End User Committee", "Vote of TOC Committee", "Vote of Gold Member Class",
		"Vote of Silver Member Class", "Vote of Strategic Membership Class", "None"}
	memberStatuses = []string{"Active", "Inactive"}
	votingStatuses = []string{"Alternate Voting Rep", "Observer", "Voting Rep", "Emeritus", "None"}
	linkedinRE     = regexp.MustCompile(`^(https?://)?([a-z]{2,3}\.)?linkedin\.com/.*$`)
)

type memberIn struct {
	Email           *string   `json:"email"`
	Username        *string   `json:"username"`
	FirstName       *string   `json:"first_name"`
	LastName        *string   `json:"last_name"`
	JobTitle        *string   `json:"job_title"`
	LinkedinProfile *string   `json:"linkedin_profile"`
	Role            *periodIn `json:"role"`
	AppointedBy     *string   `json:"appointed_by"`
	Status          *string   `json:"status"`
	Voting          *periodIn `json:"voting"`
	Organization    *orgIn    `json:"organization"`
}

// periodIn is a role or a voting status with its dates; Name carries the
// role name or the voting status.
type periodIn struct {
	Name      *string `json:"name"`
	Status    *string `json:"status"`
	StartDate *string `json:"start_date"`
	EndDate   *string `json:"end_date"`
}

type orgIn struct {
	ID      *string `json:"id"`
	Name    *string `json:"name"`
	Website *string `json:"website"`
}

// Role is a member's role on the committee.
type Role struct {
	Name      string `json:"name"`
	StartDate string `json:"start_date,omitempty"`
	EndDate   string `json:"end_date,omitempty"`
}

// Voting is a member's voting status.
type Voting struct {
	Status    string `json:"status"`
	StartDate string `json:"start_date,omitempty"`
	EndDate   string `json:"end_date,omitempty"`
}

// Organization is the member's employer.
type Organization struct {
	ID      string `json:"id,omitempty"`
	Name    string `json:"name,omitempty"`
	Website string `json:"website,omitempty"`
}

// memberRecord is the KV value of committee-members/<uid>, with the
// denormalized committee and project fields.
type memberRecord struct {
	UID               string       `json:"uid"`
	CommitteeUID      string       `json:"committee_uid"`
	CommitteeName     string       `json:"committee_name"`
	CommitteeCategory string       `json:"committee_category"`
	ProjectUID        string       `json:"project_uid"`
	ProjectSlug       string       `json:"project_slug"`
	Email             string       `json:"email"`
	Username          string       `json:"username"`
	FirstName         string       `json:"first_name"`
	LastName          string       `json:"last_name"`
	JobTitle          string       `json:"job_title"`
	LinkedinProfile   string       `json:"linkedin_profile"`
	Avatar            string       `json:"avatar"`
	Role              Role         `json:"role"`
	AppointedBy       string       `json:"appointed_by"`
	Status            string       `json:"status"`
	Voting            Voting       `json:"voting"`
	Organization      Organization `json:"organization"`
	CreatedAt         time.Time    `json:"created_at"`
	UpdatedAt         time.Time    `json:"updated_at"`
}

// Member is the API rendering of a committee member.
type Member struct {
	UID               string        `json:"uid"`
	CommitteeUID      string        `json:"committee_uid"`
	CommitteeName     string        `json:"committee_name,omitempty"`
	CommitteeCategory string        `json:"committee_category,omitempty"`
	Email             string        `json:"email"`
	Username          string        `json:"username,omitempty"`
	FirstName         string        `json:"first_name,omitempty"`
	LastName          string        `json:"last_name,omitempty"`
	JobTitle          string        `json:"job_title,omitempty"`
	LinkedinProfile   string        `json:"linkedin_profile,omitempty"`
	Role              *Role         `json:"role,omitempty"`
	AppointedBy       string        `json:"appointed_by,omitempty"`
	Status            string        `json:"status,omitempty"`
	Voting            *Voting       `json:"voting,omitempty"`
	Organization      *Organization `json:"organization,omitempty"`
	CreatedAt         string        `json:"created_at,omitempty"`
	UpdatedAt         string        `json:"updated_at,omitempty"`
}

func (m *memberIn) check(v *checks) {
	v.required("email", "body", m.Email != nil)
	v.format("body.email", m.Email, fmtEmail)
	v.maxLen("body.username", m.Username, 100)
	v.maxLen("body.first_name", m.FirstName, 100)
	v.maxLen("body.last_name", m.LastName, 100)
	v.maxLen("body.job_title", m.JobTitle, 200)
	v.format("body.linkedin_profile", m.LinkedinProfile, fmtURI)
	v.pattern("body.linkedin_profile", m.LinkedinProfile, linkedinRE)
	if m.Role != nil {
		v.enum("body.role.name", m.Role.Name, memberRoles)
		v.format("body.role.start_date", m.Role.StartDate, formatDate)
		v.format("body.role.end_date", m.Role.EndDate, formatDate)
	}
	v.enum("body.appointed_by", m.AppointedBy, appointedBy)
	v.enum("body.status", m.Status, memberStatuses)
	if m.Voting != nil {
		v.enum("body.voting.status", m.Voting.Status, votingStatuses)
		v.format("body.voting.start_date", m.Voting.StartDate, formatDate)
		v.format("body.voting.end_date", m.Voting.EndDate, formatDate)
	}
	if o := m.Organization; o != nil {
		v.maxLen("body.organization.name", o.Name, 200)
		v.format("body.organization.website", o.Website, fmtURI)
	}
}

// apply writes the member-base fields over rec with Goa's defaults: a sent
// role/voting without name/status gets "None", an omitted one stays "".
func (m *memberIn) apply(rec *memberRecord) {
	rec.Email, rec.Username = str(m.Email), str(m.Username)
	rec.FirstName, rec.LastName, rec.JobTitle = str(m.FirstName), str(m.LastName), str(m.JobTitle)
	rec.LinkedinProfile = str(m.LinkedinProfile)
	rec.Role, rec.Voting, rec.Organization = Role{}, Voting{}, Organization{}
	if r := m.Role; r != nil {
		rec.Role = Role{Name: orDefault(r.Name, "None"), StartDate: str(r.StartDate), EndDate: str(r.EndDate)}
	}
	if vt := m.Voting; vt != nil {
		rec.Voting = Voting{Status: orDefault(vt.Status, "None"), StartDate: str(vt.StartDate), EndDate: str(vt.EndDate)}
	}
	if o := m.Organization; o != nil {
		rec.Organization = Organization{ID: str(o.ID), Name: str(o.Name), Website: str(o.Website)}
	}
	rec.AppointedBy = orDefault(m.AppointedBy, "None")
	rec.Status = orDefault(m.Status, "Active")
}

func orDefault(p *string, def string) string {
	if p == nil {
		return def
	}
	return *p
}

func (r *memberRecord) api() Member {
	m := Member{UID: r.UID, CommitteeUID: r.CommitteeUID, CommitteeName: r.CommitteeName,
		CommitteeCategory: r.CommitteeCategory, Email: r.Email, Username: r.Username, FirstName: r.FirstName,
		LastName: r.LastName, JobTitle: r.JobTitle, LinkedinProfile: r.LinkedinProfile, AppointedBy: r.AppointedBy,
		Status: r.Status, CreatedAt: fmtTS(&r.CreatedAt), UpdatedAt: fmtTS(&r.UpdatedAt)}
	if r.Role != (Role{}) {
		role := r.Role
		m.Role = &role
	}
	if r.Voting != (Voting{}) {
		vt := r.Voting
		m.Voting = &vt
	}
	if r.Organization != (Organization{}) {
		o := r.Organization
		m.Organization = &o
	}
	return m
}
