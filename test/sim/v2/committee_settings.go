package v2sim

import (
	"context"
	"net/http"
	"strings"
)

var errCommitteeSettingsNotFound = domainErr(http.StatusNotFound, "committee settings not found")

func (s *Sim) getCommitteeSettings(c *call) (*reply, error) {
	uid := c.pathUUID("uid")
	c.version(false)
	if err := c.ready(); err != nil {
		return nil, err
	}
	var st committeeSettingsRecord
	rev, err := getJSON(c.ctx, s.st.committeeSettings, uid, &st)
	if err == errNotFound {
		return nil, errCommitteeSettingsNotFound
	} else if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: st.api(), etag: rev}, nil
}

// updateCommitteeSettings follows spec §3.3: business_email_required is
// required; null writers/auditors/webhook are kept, [] clears them.
func (s *Sim) updateCommitteeSettings(c *call) (*reply, error) {
	uid := c.pathUUID("uid")
	c.version(false)
	c.xSync()
	var in committeeSettingsIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	c.v.required("business_email_required", "body", in.BusinessEmailRequired != nil)
	in.check(&c.v)
	if err := c.ready(); err != nil {
		return nil, err
	}
	rev, err := c.ifMatch()
	if err != nil {
		return nil, err
	}
	old, err := s.loadCommitteeSettingsAt(c.ctx, uid, rev)
	if err != nil {
		return nil, err
	}
	if err := s.enrichCommitteeUsers(&in); err != nil {
		return nil, err
	}
	rec := old
	in.apply(&rec)
	rec.UpdatedAt = c.now
	if _, err := updateJSON(c.ctx, s.st.committeeSettings, uid, &rec, rev); err != nil {
		return nil, domainErr(http.StatusInternalServerError, "failed to update committee settings: %v", err)
	}
	var base committeeRecord
	_, _ = getJSON(c.ctx, s.st.committees, uid, &base)
	b := s.batch(c.delivery())
	s.indexCommitteeSettings(b, c.authz, c.id.principal, actionUpdated, &base, &rec)
	b.publish(subjectFGAUpdate, committeeAccess(&base, &rec))
	b.publish(subjectCommitteeAPI+"committee_settings.updated", committeeEvent("committee_settings.updated",
		map[string]any{"committee_uid": uid, "old_settings": old.api(), "settings": rec.api(),
			"committee_name": base.Name, "updated_by": c.id.principal}))
	_ = b.send()
	return ok(rec.api()), nil
}

func (s *Sim) loadCommitteeSettingsAt(ctx context.Context, uid string, rev uint64) (committeeSettingsRecord, error) {
	var rec committeeSettingsRecord
	cur, err := getJSON(ctx, s.st.committeeSettings, uid, &rec)
	if err == errNotFound {
		return rec, errCommitteeSettingsNotFound
	} else if err != nil {
		return rec, err
	}
	if cur != rev {
		return rec, domainErr(http.StatusConflict, "committee settings have been modified by another process")
	}
	return rec, nil
}

// enrichCommitteeUsers rewrites writers/auditors from auth-service and
// insists that each ends up with an email or a username.
func (s *Sim) enrichCommitteeUsers(in *committeeSettingsIn) error {
	for _, list := range []*[]CommitteeUser{&in.Writers, &in.Auditors} {
		for i, u := range *list {
			if strings.TrimSpace(u.Email) != "" {
				known, ok := s.users.lookup(u.Email)
				u.Username = known.Username
				if ok {
					u.Name, u.Avatar = known.Name, known.Avatar
				}
			}
			if strings.TrimSpace(u.Email) == "" && u.Username == "" {
				return domainErr(http.StatusBadRequest, "each writer and auditor must have an email or a username")
			}
			(*list)[i] = u
		}
	}
	return nil
}
