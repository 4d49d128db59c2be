package mapids

import "github.com/linuxfoundation/v1sync/stages/intent"

// v1-objects key prefixes of the rows this stage maps.
const (
	prefixProject    = "salesforce-project__c"
	prefixCommittee  = "platform-collaboration__c"
	prefixMember     = "platform-community__c"
	prefixMergedUser = "salesforce-merged_user"
	prefixB2BUser    = "salesforce_b2b-User"
)

// entityOf maps the prefixes this stage turns into v2 intents.
var entityOf = map[string]intent.Entity{
	prefixProject:   intent.Project,
	prefixCommittee: intent.Committee,
	prefixMember:    intent.CommitteeMember,
}

// passThrough lists prefixes that other services read straight from
// v1-objects (or that other v1sync components handle): acked, no output.
// Users and emails go to Auth0 in the prior art, which is not a v2 intent.
var passThrough = setOf(
	prefixMergedUser, "salesforce-alternate_email__c",
	"itx-poll", "itx-poll-vote", "itx-poll-results",
	"itx-surveys", "itx-survey-responses", "surveymonkey-surveys",
	"itx-zoom-meetings-v2", "itx-zoom-meetings-registrants-v2", "itx-zoom-past-meetings",
	"itx-zoom-past-meetings-attendees", "itx-zoom-past-meetings-invitees",
	"itx-zoom-past-meetings-recordings", "itx-zoom-past-meetings-summaries",
	"itx-zoom-past-meetings-attachments", "itx-zoom-past-meetings-mappings",
	"itx-zoom-meetings-attachments-v2", "itx-zoom-meetings-invite-responses-v2",
	"itx-zoom-meetings-mappings-v2",
	"salesforce_b2b-Account", "salesforce_b2b-Asset", "salesforce_b2b-Product2",
	"salesforce_b2b-Contact", "salesforce_b2b-Alternate_Email__c", "salesforce_b2b-Project__c",
	"salesforce_b2b-Project_Role__c", prefixB2BUser,
	"itx-groupsio-v2-service", "itx-groupsio-v2-subgroup", "itx-groupsio-v2-member",
	"itx-groupsio-v2-artifact",
	"platform-organization_workspace", "platform-organization_workspace_project",
)

// route is what the stage does with a key prefix.
type route int

const (
	routeUnknown route = iota
	routePassThrough
	routeEntity
)

func routeOf(prefix string) (route, intent.Entity) {
	if e, ok := entityOf[prefix]; ok {
		return routeEntity, e
	}
	if passThrough[prefix] {
		return routePassThrough, ""
	}
	return routeUnknown, ""
}

func setOf(items ...string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, s := range items {
		m[s] = true
	}
	return m
}
