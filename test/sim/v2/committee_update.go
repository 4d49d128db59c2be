package v2sim

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// updateCommittee follows spec §3.5: revision first, then references, then
// a CAS write whose lost race surfaces as 500.
func (s *Sim) updateCommittee(c *call) (*reply, error) {
	uid := c.pathUUID("uid")
	c.version(false)
	c.xSync()
	var in committeeBaseIn
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
	old, err := s.loadCommitteeAt(c.ctx, uid, rev)
	if err != nil {
		return nil, err
	}
	project, err := s.committeeProject(c.ctx, str(in.ProjectUID))
	if err != nil {
		return nil, err
	}
	rec := old
	in.apply(&rec)
	rec.ProjectSlug, rec.UpdatedAt = project.Slug, c.now
	if err := s.renameCommittee(c.ctx, &old, &rec); err != nil {
		return nil, err
	}
	if rec.ParentUID != old.ParentUID {
		if err := s.committeeParentExists(c.ctx, rec.ParentUID); err != nil {
			return nil, err
		}
	}
	if _, err := updateJSON(c.ctx, s.st.committees, uid, &rec, rev); err != nil {
		return nil, domainErr(http.StatusInternalServerError, "failed to update committee: %v", err)
	}
	s.releaseOldCommitteeKeys(c.ctx, &old, &rec)
	var settings committeeSettingsRecord
	_, _ = getJSON(c.ctx, s.st.committeeSettings, uid, &settings)
	b := s.batch(c.delivery())
	s.indexCommittee(b, c.authz, c.id.principal, actionUpdated, &rec)
	b.publish(subjectFGAUpdate, committeeAccess(&rec, &settings))
	b.publish(subjectCommitteeAPI+"committee.updated", committeeEvent("committee.updated",
		map[string]any{"committee_uid": uid, "old_committee": old.api(""), "committee": rec.api("")}))
	sent := b.send() == nil // the fan-out is driven by the event just published
	if sent && (old.Name != rec.Name || old.Category != rec.Category || old.ProjectUID != rec.ProjectUID) {
		s.fanOutMembers(rec)
	}
	return ok(rec.api(project.Name)), nil
}

// renameCommittee reserves the new name (and SSO group name) when they change.
func (s *Sim) renameCommittee(ctx context.Context, old, rec *committeeRecord) error {
	newKey := committeeNameKey(rec.ProjectUID, rec.Name)
	if newKey != committeeNameKey(old.ProjectUID, old.Name) {
		if _, err := s.st.committees.Create(ctx, newKey, []byte(rec.UID)); isExists(err) {
			return errCommitteeName
		} else if err != nil {
			return err
		}
	}
	wantSSO := rec.Public || rec.SSOGroupEnabled
	if wantSSO && (old.SSOGroupName == "" || old.Name != rec.Name) {
		name, err := s.reserveSSOGroup(ctx, rec.ProjectSlug, rec.Name, rec.UID)
		if err != nil {
			return err
		}
		rec.SSOGroupName = name
	}
	return nil
}

// releaseOldCommitteeKeys drops the lookup keys a rename left behind (the
// service does this asynchronously).
func (s *Sim) releaseOldCommitteeKeys(ctx context.Context, old, rec *committeeRecord) {
	if oldKey := committeeNameKey(old.ProjectUID, old.Name); oldKey != committeeNameKey(rec.ProjectUID, rec.Name) {
		_ = deleteKey(ctx, s.st.committees, oldKey)
	}
	if old.SSOGroupName != "" && old.SSOGroupName != rec.SSOGroupName {
		_ = deleteKey(ctx, s.st.committees, keySSOGroup+old.SSOGroupName)
	}
}

var nonSlugRE = regexp.MustCompile(`[^a-z0-9]+`)

func slugify(s string) string {
	return strings.Trim(nonSlugRE.ReplaceAllString(strings.ToLower(s), "-"), "-")
}

// reserveSSOGroup claims slugify(project_slug-name), then -2, -3… up to 100.
func (s *Sim) reserveSSOGroup(ctx context.Context, projectSlug, name, uid string) (string, error) {
	base := slugify(projectSlug + "-" + name)
	for i := 1; i <= 100; i++ {
		cand := base
		if i > 1 {
			cand = fmt.Sprintf("%s-%d", base, i)
		}
		_, err := s.st.committees.Create(ctx, keySSOGroup+cand, []byte(uid))
		if err == nil {
			return cand, nil
		}
		if !isExists(err) {
			return "", err
		}
	}
	return "", domainErr(http.StatusConflict, "committee with the same SSO group name already exists")
}
