package v2client

import "net/url"

// Resource paths. Member routes always carry ?v=1 (the service rejects them
// without it).
func ProjectsPath() string          { return "/projects" }
func ProjectPath(uid string) string { return "/projects/" + url.PathEscape(uid) }
func ProjectSettingsPath(uid string) string {
	return ProjectPath(uid) + "/settings"
}
func CommitteesPath() string          { return "/committees" }
func CommitteePath(uid string) string { return "/committees/" + url.PathEscape(uid) }
func CommitteeSettingsPath(uid string) string {
	return CommitteePath(uid) + "/settings"
}
func MembersPath(committeeUID string) string {
	return CommitteePath(committeeUID) + "/members?v=1"
}
func MemberPath(committeeUID, memberUID string) string {
	return CommitteePath(committeeUID) + "/members/" + url.PathEscape(memberUID) + "?v=1"
}
