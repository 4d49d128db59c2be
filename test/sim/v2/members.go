package v2sim

import (
	"context"
	"net/http"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
)

var (
	errMemberNotFound  = domainErr(http.StatusNotFound, "committee member not found")
	errMemberStale     = domainErr(http.StatusConflict, "committee member has been modified by another process")
	errMemberEmail     = domainErr(http.StatusConflict, "member with the same email already exists in the committee")
	errMemberElsewhere = domainErr(http.StatusBadRequest, "committee member does not belong to the requested committee")
)

// memberCall holds the headers member routes add.
type memberCall struct {
	skipNotification, skipEnrichment bool
}

func (c *call) memberHeaders() memberCall {
	return memberCall{skipNotification: c.boolHeader("X-Skip-Notification"), skipEnrichment: c.boolHeader("X-Skip-Enrichment")}
}

// createMember follows spec §3.7 (create).
func (s *Sim) createMember(c *call) (*reply, error) {
	cuid := c.pathUUID("uid")
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
	com, settings, err := s.memberCommittee(c.ctx, cuid)
	if err != nil {
		return nil, err
	}
	rec := memberRecord{UID: uuid.NewString(), CreatedAt: c.now, UpdatedAt: c.now}
	in.apply(&rec)
	denormalize(&rec, &com)
	rec.Organization.ID = s.sanitizeOrg(rec.Organization.ID)
	if err := validateMember(&rec, &com, &settings, ""); err != nil {
		return nil, err
	}
	if !h.skipEnrichment {
		s.enrichMember(&rec)
	}
	if _, err := s.st.members.Create(c.ctx, memberEmailKey(cuid, rec.Email), []byte(rec.UID)); isExists(err) {
		return nil, errMemberEmail
	} else if err != nil {
		return nil, err
	}
	if _, err := createJSON(c.ctx, s.st.members, rec.UID, &rec); err != nil {
		_ = deleteKey(c.ctx, s.st.members, memberEmailKey(cuid, rec.Email))
		return nil, err
	}
	s.putMemberIndexes(c.ctx, &rec)
	b := s.batch(c.delivery())
	s.indexMember(b, c.authz, c.id.principal, actionCreated, &rec)
	b.publish(subjectCommitteeAPI+"committee_member.created", memberEvent("committee_member.created", &rec, h.skipNotification))
	if rec.Username != "" {
		b.publish(subjectFGAMemberPut, memberAccess("member_put", cuid, rec.Username, []string{"member"}))
	}
	if b.send() == nil { // the recount is driven by the event just published
		s.recountLater(cuid, c.plan.ep)
	}
	return created(rec.api()), nil
}

// memberCommittee loads the committee and its settings (404 if gone).
func (s *Sim) memberCommittee(ctx context.Context, cuid string) (committeeRecord, committeeSettingsRecord, error) {
	var com committeeRecord
	var st committeeSettingsRecord
	if _, err := getJSON(ctx, s.st.committees, cuid, &com); err == errNotFound {
		return com, st, errCommitteeNotFound
	} else if err != nil {
		return com, st, err
	}
	if _, err := getJSON(ctx, s.st.committeeSettings, cuid, &st); err != nil && err != errNotFound {
		return com, st, err
	}
	return com, st, nil
}

func denormalize(rec *memberRecord, com *committeeRecord) {
	rec.CommitteeUID, rec.CommitteeName, rec.CommitteeCategory = com.UID, com.Name, com.Category
	rec.ProjectUID, rec.ProjectSlug = com.ProjectUID, com.ProjectSlug
}

func (s *Sim) getMember(c *call) (*reply, error) {
	cuid, muid := c.pathUUID("uid"), c.pathUUID("member_uid")
	c.version(true)
	if err := c.ready(); err != nil {
		return nil, err
	}
	if _, _, err := s.memberCommittee(c.ctx, cuid); err != nil {
		return nil, err
	}
	var rec memberRecord
	rev, err := getJSON(c.ctx, s.st.members, muid, &rec)
	if err == errNotFound {
		return nil, errMemberNotFound
	} else if err != nil {
		return nil, err
	}
	if rec.CommitteeUID != cuid {
		return nil, errMemberElsewhere
	}
	return &reply{status: http.StatusOK, body: rec.api(), etag: rev}, nil
}

// loadMemberAt loads a member and insists on revision rev.
func (s *Sim) loadMemberAt(ctx context.Context, muid string, rev uint64) (memberRecord, error) {
	var rec memberRecord
	cur, err := getJSON(ctx, s.st.members, muid, &rec)
	if err == errNotFound {
		return rec, errMemberNotFound
	} else if err != nil {
		return rec, err
	}
	if cur != rev {
		return rec, errMemberStale
	}
	return rec, nil
}

// deleteMember follows spec §3.7 (delete): the path committee is not
// checked, and publish errors are returned after the delete.
func (s *Sim) deleteMember(c *call) (*reply, error) {
	c.pathUUID("uid")
	muid := c.pathUUID("member_uid")
	c.version(true)
	c.xSync()
	h := c.memberHeaders()
	if err := c.ready(); err != nil {
		return nil, err
	}
	rev, err := c.ifMatch()
	if err != nil {
		return nil, err
	}
	rec, err := s.loadMemberAt(c.ctx, muid, rev)
	if err != nil {
		return nil, err
	}
	if err := s.st.members.Delete(c.ctx, muid, jetstream.LastRevision(rev)); isStale(err) {
		return nil, errMemberStale
	} else if err != nil {
		return nil, err
	}
	_ = deleteKey(c.ctx, s.st.members, memberEmailKey(rec.CommitteeUID, rec.Email))
	s.dropMemberIndexes(c.ctx, &rec)
	b := s.batch(c.delivery())
	b.add(indexMsg{objectType: KindMember, action: actionDeleted, authz: c.authz, onBehalfOf: c.id.principal, data: muid, tagsAlways: true})
	b.publish(subjectCommitteeAPI+"committee_member.deleted", memberEvent("committee_member.deleted", &rec, h.skipNotification))
	if rec.Username != "" {
		b.publish(subjectFGAMemberRemove, memberAccess("member_remove", rec.CommitteeUID, rec.Username, []string{}))
	}
	if err := b.send(); err != nil {
		return nil, domainErr(http.StatusServiceUnavailable, "%s", err.Error())
	}
	s.recountLater(rec.CommitteeUID, c.plan.ep)
	return noContent(), nil
}
