// Package idmap is the v1 id <-> v2 uid map kept in the v1-mappings KV
// bucket. Its key formats and the "!del" tombstone are the prior art's, so
// services that read the bucket today keep working.
package idmap

import "strings"

// Values with a meaning of their own.
const (
	// Tombstone marks a v1 object that was deleted: never recreate it. It is
	// written with Put (not a KV delete) so the fact survives.
	Tombstone = "!del"
	// legacyTombstone was written by older releases of the prior art.
	legacyTombstone = "🪦"
	// Pending is the value of a forward key claimed before a create: the v2
	// object may or may not exist yet, so a retry must look it up by its
	// natural key before creating it again.
	Pending = "!pending"
)

// IsTombstone reports whether v marks a deleted object.
func IsTombstone(v string) bool { return v == Tombstone || v == legacyTombstone }

// Forward (v1 -> v2) and reverse (v2 -> v1) keys.
func ProjectSFIDKey(sfid string) string   { return "project.sfid." + sfid }
func ProjectUIDKey(uid string) string     { return "project.uid." + uid }
func CommitteeSFIDKey(sfid string) string { return "committee.sfid." + sfid }
func CommitteeUIDKey(uid string) string   { return "committee.uid." + uid }
func MemberSFIDKey(recordSFID string) string {
	return "committee_member.sfid." + recordSFID
}
func MemberUIDKey(uid string) string { return "committee_member.uid." + uid }

// MemberRecordKey maps a member uid to the community__c record sfid.
func MemberRecordKey(uid string) string { return "committee_member.record_sfid." + uid }

// CommitteeUIDValue is the value of committee.uid.<uid>.
func CommitteeUIDValue(projectSFID, committeeSFID string) string {
	return projectSFID + ":" + committeeSFID
}

// MemberSFIDValue is the value of committee_member.sfid.<record sfid>.
func MemberSFIDValue(committeeUID, memberUID string) string {
	return committeeUID + ":" + memberUID
}

// MemberUIDValue is the value of committee_member.uid.<uid>; contactSFID is
// the v1 API's MemberID (contact_name__c), not the record sfid.
func MemberUIDValue(projectSFID, committeeSFID, contactSFID string) string {
	return projectSFID + ":" + committeeSFID + ":" + contactSFID
}

// SplitMemberSFIDValue returns the committee and member uids of a
// committee_member.sfid value; legacy values hold the bare member uid.
func SplitMemberSFIDValue(v string) (committeeUID, memberUID string) {
	if i := strings.IndexByte(v, ':'); i >= 0 {
		return v[:i], v[i+1:]
	}
	return "", v
}
