package mapids

import "strings"

// Allow-lists of the prior art (spec §4.2-§4.4). Values outside them map to
// a fallback rather than failing, as the prior art did.
var (
	projectCategories = setOf("Active", "Adopted", "Archived", "At-Large", "Early Adoption",
		"Emeritus", "Graduated", "Growth", "Idle", "Impact", "Incubating", "Kanister", "Mature",
		"Pre-LFESS", "Sandbox", "SIG", "Standards", "TAC", "Working Group", "TAG", "NONE")

	committeeCategories = setOf("Ambassador", "Board", "Code of Conduct", "Committers",
		"Expert Group", "Finance Committee", "Government Advisory Council", "Legal Committee",
		"Maintainers", "Marketing Committee/Sub Committee", "Marketing Mailing List",
		"Marketing Oversight Committee/Marketing Advisory Committee", "Newsletter", "Other",
		"Product Security", "Special Interest Group", "Technical Advisory Committee",
		"Technical Mailing List", "Technical Oversight Committee", "Technical Steering Committee",
		"Working Group")

	memberRoles = setOf("Chair", "Counsel", "Developer Seat", "TAC/TOC Representative",
		"Director", "Lead", "None", "Secretary", "Treasurer", "Vice Chair", "LF Staff")

	appointedBy = setOf("Community", "Membership Entitlement", "Vote of End User Member Class",
		"Vote of TSC Committee", "Vote of TAC Committee", "Vote of Academic Member Class",
		"Vote of Lab Member Class", "Vote of Marketing Committee", "Vote of Governing Board",
		"Vote of General Member Class", "Vote of End User Committee", "Vote of TOC Committee",
		"Vote of Gold Member Class", "Vote of Silver Member Class",
		"Vote of Strategic Membership Class", "None")
)

const (
	categoryNone     = "NONE"
	categoryOther    = "Other"
	categoryTAC      = "Technical Advisory Committee"
	categoryTOC      = "Technical Oversight Committee"
	combinedTOCorTAC = "Technical Oversight Committee/Technical Advisory Committee"
	enumNone         = "None"
	statusActive     = "Active"
)

// committeeCategory maps a v1 committee type (the caller has checked that it
// is non-empty). The combined TOC/TAC value is split by the committee name.
func committeeCategory(typ, name string) string {
	if typ == combinedTOCorTAC {
		if isAdvisoryName(name) {
			return categoryTAC
		}
		return categoryTOC
	}
	return oneOf(typ, committeeCategories, categoryOther)
}

// isAdvisoryName: the name contains "advisory", or "tac" as a word. The
// prior art matched "tac" anywhere, so "Stacks Oversight Committee" became an
// advisory committee; matching whole words keeps "TAC" and "Open Orbit TAC"
// and drops that false positive.
func isAdvisoryName(name string) bool {
	lower := strings.ToLower(name)
	if strings.Contains(lower, "advisory") {
		return true
	}
	words := strings.FieldsFunc(lower, func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < '0' || r > '9')
	})
	for _, w := range words {
		if w == "tac" {
			return true
		}
	}
	return false
}
