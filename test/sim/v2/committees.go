package v2sim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
)

func (s *Sim) committeeRoutes(mux *http.ServeMux) {
	s.route(mux, CommitteeCreate, committeeService, s.createCommittee)
	s.route(mux, CommitteeGet, committeeService, s.getCommittee)
	s.route(mux, CommitteeUpdate, committeeService, s.updateCommittee)
	s.route(mux, CommitteeDelete, committeeService, s.deleteCommittee)
	s.route(mux, CommitteeSettingsGet, committeeService, s.getCommitteeSettings)
	s.route(mux, CommitteeSettingsUpdate, committeeService, s.updateCommitteeSettings)
	s.route(mux, MemberCreate, committeeService, s.createMember)
	s.route(mux, MemberGet, committeeService, s.getMember)
	s.route(mux, MemberUpdate, committeeService, s.updateMember)
	s.route(mux, MemberDelete, committeeService, s.deleteMember)
}

var (
	errCommitteeNotFound = domainErr(http.StatusNotFound, "committee not found")
	errCommitteeStale    = domainErr(http.StatusConflict, "committee has been modified by another process")
	errCommitteeName     = domainErr(http.StatusConflict, "committee with the same name for the project already exists")
)

// createCommittee follows spec §3.4. Publish failures are only logged.
func (s *Sim) createCommittee(c *call) (*reply, error) {
	c.version(false)
	c.xSync()
	var in committeeCreateIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	in.committeeBaseIn.check(&c.v)
	in.committeeSettingsIn.check(&c.v)
	if err := c.ready(); err != nil {
		return nil, err
	}
	if err := s.enrichCommitteeUsers(&in.committeeSettingsIn); err != nil {
		return nil, err
	}
	rec := committeeRecord{UID: uuid.NewString(), CreatedAt: c.now, UpdatedAt: c.now}
	in.committeeBaseIn.apply(&rec)
	rec.HasMailingList = rec.MailingList != ""
	project, err := s.committeeProject(c.ctx, rec.ProjectUID)
	if err != nil {
		return nil, err
	}
	rec.ProjectSlug = project.Slug
	if err := s.committeeParentExists(c.ctx, rec.ParentUID); err != nil {
		return nil, err
	}
	settings := committeeSettingsRecord{UID: rec.UID, CreatedAt: c.now, UpdatedAt: c.now}
	in.committeeSettingsIn.apply(&settings)
	if err := s.storeNewCommittee(c.ctx, &rec, &settings); err != nil {
		return nil, err
	}
	b := s.batch(c.delivery())
	s.indexCommittee(b, c.authz, c.id.principal, actionCreated, &rec)
	s.indexCommitteeSettings(b, c.authz, c.id.principal, actionCreated, &rec, &settings)
	b.publish(subjectFGAUpdate, committeeAccess(&rec, &settings))
	_ = b.send()
	return created(fullCommittee(&rec, &settings)), nil
}

// storeNewCommittee reserves the name (and SSO group) keys, then creates
// both records, releasing the reservations if that fails.
func (s *Sim) storeNewCommittee(ctx context.Context, rec *committeeRecord, st *committeeSettingsRecord) error {
	nameKey := committeeNameKey(rec.ProjectUID, rec.Name)
	if _, err := s.st.committees.Create(ctx, nameKey, []byte(rec.UID)); isExists(err) {
		return errCommitteeName
	} else if err != nil {
		return err
	}
	if rec.Public || rec.SSOGroupEnabled {
		name, err := s.reserveSSOGroup(ctx, rec.ProjectSlug, rec.Name, rec.UID)
		if err != nil {
			_ = deleteKey(ctx, s.st.committees, nameKey)
			return err
		}
		rec.SSOGroupName = name
	}
	if _, err := createJSON(ctx, s.st.committees, rec.UID, rec); err != nil {
		s.releaseCommitteeKeys(ctx, rec)
		return err
	}
	if _, err := createJSON(ctx, s.st.committeeSettings, rec.UID, st); err != nil {
		s.releaseCommitteeKeys(ctx, rec)
		_ = deleteKey(ctx, s.st.committees, rec.UID)
		return err
	}
	return nil
}

func (s *Sim) releaseCommitteeKeys(ctx context.Context, rec *committeeRecord) {
	_ = deleteKey(ctx, s.st.committees, committeeNameKey(rec.ProjectUID, rec.Name))
	if rec.SSOGroupName != "" {
		_ = deleteKey(ctx, s.st.committees, keySSOGroup+rec.SSOGroupName)
	}
}

func committeeNameKey(projectUID, name string) string {
	h := sha256.Sum256([]byte(projectUID + "|" + name))
	return keyCommitteeName + hex.EncodeToString(h[:])
}

// committeeProject resolves the project as the service does over NATS
// (get_slug then get_name); a miss is a 404.
func (s *Sim) committeeProject(ctx context.Context, uid string) (*projectRecord, error) {
	var p projectRecord
	if _, err := getJSON(ctx, s.st.projects, uid, &p); err == errNotFound {
		return nil, domainErr(http.StatusNotFound, "project attribute lfx.projects-api.get_slug not found for uid: %s", uid)
	} else if err != nil {
		return nil, err
	}
	return &p, nil
}

func (s *Sim) committeeParentExists(ctx context.Context, parent string) error {
	if parent == "" {
		return nil
	}
	var p committeeRecord
	if _, err := getJSON(ctx, s.st.committees, parent, &p); err == errNotFound {
		return domainErr(http.StatusNotFound, "committee not found: committee UID: %s", parent)
	} else if err != nil {
		return err
	}
	return nil
}

func (s *Sim) getCommittee(c *call) (*reply, error) {
	uid := c.pathUUID("uid")
	c.version(false)
	if err := c.ready(); err != nil {
		return nil, err
	}
	var rec committeeRecord
	rev, err := getJSON(c.ctx, s.st.committees, uid, &rec)
	if err == errNotFound {
		return nil, errCommitteeNotFound
	} else if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: rec.api(s.projectName(c.ctx, rec.ProjectUID)), etag: rev}, nil
}

func (s *Sim) projectName(ctx context.Context, uid string) string {
	var p projectRecord
	_, _ = getJSON(ctx, s.st.projects, uid, &p)
	return p.Name
}

// loadCommitteeAt loads a committee and insists on revision rev, the fail-
// fast check the committee service makes before anything else.
func (s *Sim) loadCommitteeAt(ctx context.Context, uid string, rev uint64) (committeeRecord, error) {
	var rec committeeRecord
	cur, err := getJSON(ctx, s.st.committees, uid, &rec)
	if err == errNotFound {
		return rec, errCommitteeNotFound
	} else if err != nil {
		return rec, err
	}
	if cur != rev {
		return rec, errCommitteeStale
	}
	return rec, nil
}

// deleteCommittee follows spec §3.6: members are left behind, and publish
// errors surface although the data is already gone.
func (s *Sim) deleteCommittee(c *call) (*reply, error) {
	uid := c.pathUUID("uid")
	c.version(false)
	c.xSync()
	if err := c.ready(); err != nil {
		return nil, err
	}
	rev, err := c.ifMatch()
	if err != nil {
		return nil, err
	}
	rec, err := s.loadCommitteeAt(c.ctx, uid, rev)
	if err != nil {
		return nil, err
	}
	if err := s.st.committees.Delete(c.ctx, uid, jetstream.LastRevision(rev)); isStale(err) {
		return nil, errCommitteeStale
	} else if err != nil {
		return nil, err
	}
	_ = deleteKey(c.ctx, s.st.committeeSettings, uid)
	s.releaseCommitteeKeys(c.ctx, &rec)
	b := s.batch(c.delivery())
	b.add(indexMsg{objectType: KindCommittee, action: actionDeleted, authz: c.authz, onBehalfOf: c.id.principal, data: uid, tagsAlways: true})
	b.add(indexMsg{objectType: KindCommitteeSettings, action: actionDeleted, authz: c.authz, onBehalfOf: c.id.principal, data: uid, tagsAlways: true})
	b.publish(subjectFGADelete, fgaMessage{ObjectType: "committee", Operation: "delete_access", Data: map[string]string{"uid": uid}})
	if err := b.send(); err != nil {
		return nil, domainErr(http.StatusServiceUnavailable, "%s", err.Error())
	}
	return noContent(), nil
}
