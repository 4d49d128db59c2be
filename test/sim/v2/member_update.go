package v2sim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"regexp"
	"strings"
)

// updateMember follows spec §3.7 (update): revision, membership, rules,
// email uniqueness, then a CAS write.
func (s *Sim) updateMember(c *call) (*reply, error) {
	cuid, muid := c.pathUUID("uid"), c.pathUUID("member_uid")
	c.version(true)
	c.xSync()
	h := c.memberHeaders()
	var in memberIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	in.check(&c.v)
	if err := c.ready(); err != nil {
		return nil, err
	}
	rev, err := c.ifMatch()
	if err != nil {
		return nil, err
	}
	old, err := s.loadMemberAt(c.ctx, muid, rev)
	if err != nil {
		return nil, err
	}
	if old.CommitteeUID != cuid {
		return nil, errMemberElsewhere
	}
	com, settings, err := s.memberCommittee(c.ctx, cuid)
	if err != nil {
		return nil, err
	}
	rec := old
	in.apply(&rec)
	rec.Avatar, rec.UpdatedAt = old.Avatar, c.now
	rec.Organization.ID = s.sanitizeOrg(rec.Organization.ID)
	if err := validateMember(&rec, &com, &settings, old.Voting.Status); err != nil {
		return nil, err
	}
	if !h.skipEnrichment {
		s.enrichMember(&rec)
	}
	if err := s.moveMemberEmail(c.ctx, &old, &rec); err != nil {
		return nil, err
	}
	if _, err := updateJSON(c.ctx, s.st.members, muid, &rec, rev); err != nil {
		return nil, domainErr(http.StatusInternalServerError, "failed to update committee member: %v", err)
	}
	s.reindexMember(c.ctx, &old, &rec)
	b := s.batch(c.delivery())
	s.publishMemberUpdate(b, c.authz, c.id.principal, &old, &rec)
	_ = b.send()
	return ok(rec.api()), nil
}

func (s *Sim) publishMemberUpdate(b *batch, authz, onBehalfOf string, old, rec *memberRecord) {
	s.indexMember(b, authz, onBehalfOf, actionUpdated, rec)
	b.publish(subjectCommitteeAPI+"committee_member.updated", committeeEvent("committee_member.updated",
		map[string]any{"member_uid": rec.UID, "old_member": old.api(), "member": rec.api()}))
	if old.Username != "" && old.Username != rec.Username {
		b.publish(subjectFGAMemberRemove, memberAccess("member_remove", rec.CommitteeUID, old.Username, []string{}))
	}
	if rec.Username != "" {
		b.publish(subjectFGAMemberPut, memberAccess("member_put", rec.CommitteeUID, rec.Username, []string{"member"}))
	}
}

// moveMemberEmail claims the new email key when the email changes.
func (s *Sim) moveMemberEmail(ctx context.Context, old, rec *memberRecord) error {
	oldKey, newKey := memberEmailKey(old.CommitteeUID, old.Email), memberEmailKey(rec.CommitteeUID, rec.Email)
	if oldKey == newKey {
		return nil
	}
	if _, err := s.st.members.Create(ctx, newKey, []byte(rec.UID)); isExists(err) {
		return errMemberEmail
	} else if err != nil {
		return err
	}
	return deleteKey(ctx, s.st.members, oldKey)
}

// validateMember applies the domain rules; oldVoting is the stored voting
// status ("" on create), since a member already at "None" may stay there.
func validateMember(rec *memberRecord, com *committeeRecord, st *committeeSettingsRecord, oldVoting string) error {
	o := rec.Organization
	if (com.EnableVoting || st.BusinessEmailRequired) && o.ID == "" && (o.Name == "" || o.Website == "") {
		return domainErr(http.StatusBadRequest,
			"organization is required: provide organization.id, or organization.name and organization.website")
	}
	if com.EnableVoting && rec.Voting.Status == "None" && oldVoting != "None" {
		return domainErr(http.StatusBadRequest, "voting status None is not allowed on a voting committee")
	}
	return nil
}

// enrichMember sets the username from the email (a miss clears it) and
// fills empty names and the avatar from the profile.
func (s *Sim) enrichMember(rec *memberRecord) {
	known, ok := s.users.lookup(rec.Email)
	rec.Username = known.Username
	if !ok {
		return
	}
	if rec.FirstName == "" {
		rec.FirstName = known.GivenName
	}
	if rec.LastName == "" {
		rec.LastName = known.FamilyName
	}
	rec.Avatar = known.Avatar
}

var sfidRE = regexp.MustCompile(`^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$`)

// sanitizeOrg keeps only SFID-shaped ids the member service knows,
// normalizing 15-character ids to 18.
func (s *Sim) sanitizeOrg(id string) string {
	if !sfidRE.MatchString(id) {
		return ""
	}
	if len(id) == 15 {
		id = sfid18(id)
	}
	if s.cfg.UnknownOrgs[id] {
		return ""
	}
	return id
}

// sfid18 appends Salesforce's case-encoding checksum to a 15-char id.
func sfid18(id string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
	suffix := make([]byte, 3)
	for i := range 3 {
		flags := 0
		for j := range 5 {
			if c := id[i*5+j]; c >= 'A' && c <= 'Z' {
				flags |= 1 << j
			}
		}
		suffix[i] = alphabet[flags]
	}
	return id + string(suffix)
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func memberEmailKey(cuid, email string) string {
	return keyMemberEmail + sha(strings.ToLower(cuid)+"|"+strings.ToLower(strings.TrimSpace(email)))
}

// memberIndexKeys are the secondary indexes of a member.
func memberIndexKeys(r *memberRecord) []string {
	keys := []string{keyMemberByCommit + r.CommitteeUID + "." + r.UID, keyMemberByEmail + sha(r.Email) + "." + r.UID}
	if r.Organization.ID != "" {
		keys = append(keys, keyMemberByOrg+r.Organization.ID+"."+r.UID)
	}
	if r.Username != "" {
		keys = append(keys, keyMemberByUser+sha(r.Username)+"."+r.UID)
	}
	return keys
}

func (s *Sim) putMemberIndexes(ctx context.Context, r *memberRecord) {
	for _, k := range memberIndexKeys(r) {
		_, _ = s.st.members.Put(ctx, k, []byte(r.UID))
	}
}

func (s *Sim) dropMemberIndexes(ctx context.Context, r *memberRecord) {
	for _, k := range memberIndexKeys(r) {
		_ = deleteKey(ctx, s.st.members, k)
	}
}

// reindexMember drops the index keys old had and rec has not, then puts rec's.
func (s *Sim) reindexMember(ctx context.Context, old, rec *memberRecord) {
	keep := map[string]bool{}
	for _, k := range memberIndexKeys(rec) {
		keep[k] = true
	}
	for _, k := range memberIndexKeys(old) {
		if !keep[k] {
			_ = deleteKey(ctx, s.st.members, k)
		}
	}
	s.putMemberIndexes(ctx, rec)
}
