package v2sim

import (
	"context"
	"net/http"
	"slices"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
)

func (s *Sim) projectRoutes(mux *http.ServeMux) {
	s.route(mux, ProjectCreate, projectService, s.createProject)
	s.route(mux, ProjectList, projectService, s.listProjects)
	s.route(mux, ProjectGet, projectService, s.getProject)
	s.route(mux, ProjectUpdate, projectService, s.updateProject)
	s.route(mux, ProjectDelete, projectService, s.deleteProject)
	s.route(mux, ProjectSettingsGet, projectService, s.getProjectSettings)
	s.route(mux, ProjectSettingsUpdate, projectService, s.updateProjectSettings)
}

var errProjectNotFound = domainErr(http.StatusNotFound, "project not found")

// createProject follows spec §2.3 in its order of checks.
func (s *Sim) createProject(c *call) (*reply, error) {
	c.version(false)
	c.xSync()
	var in projectCreateIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.gatewayCreateRule(str(in.ParentUID)); err != nil {
		return nil, err
	}
	in.projectBaseIn.check(&c.v)
	in.projectSettingsIn.check(&c.v)
	if err := c.ready(); err != nil {
		return nil, err
	}
	if err := in.archivedRule(); err != nil {
		return nil, err
	}
	if err := s.slugFree(c.ctx, str(in.Slug)); err != nil {
		return nil, err
	}
	if err := s.checkProjectParent(c.ctx, str(in.ParentUID)); err != nil {
		return nil, err
	}
	s.enrichProjectSettings(&in.projectSettingsIn)
	in.projectSettingsIn.carryInvites(&projectSettingsRecord{}) // clients cannot set invites
	uid := uuid.NewString()
	base := in.projectBaseIn.record(uid, c.now, c.now)
	settings := in.projectSettingsIn.record(uid, c.now, c.now)
	if err := s.storeNewProject(c.ctx, &base, &settings); err != nil {
		return nil, err
	}
	b := s.batch(c.delivery())
	s.indexProject(b, c, actionCreated, &base)
	s.indexProjectSettings(b, c, actionCreated, &settings)
	b.publish(subjectFGAUpdate, projectAccess(&base, &settings))
	if err := b.send(); err != nil {
		return nil, projectPublishErr(err)
	}
	return created(fullProject(&base, &settings)), nil
}

// gatewayCreateRule is Heimdall's rule for POST /projects: Content-Type
// exactly application/json and writer on the parent, which no one is on
// project "" (only callers that bypass Heimdall can create top-level ones).
func (c *call) gatewayCreateRule(parent string) error {
	if c.s.cfg.AuthMode != AuthGateway {
		return nil
	}
	if c.r.Header.Get("Content-Type") != "application/json" || parent == "" {
		return &apiError{status: c.s.cfg.GatewayDenyStatus, bare: true}
	}
	return nil
}

// slugFree is the service's check-then-put uniqueness test (not atomic).
func (s *Sim) slugFree(ctx context.Context, slug string) error {
	_, err := getString(ctx, s.st.projects, keySlug+slug)
	switch {
	case err == nil:
		return domainErr(http.StatusConflict, "project slug already exists")
	case err != errNotFound:
		return err
	}
	return nil
}

// checkProjectParent: "" is accepted; otherwise a UUID of a stored project.
func (s *Sim) checkProjectParent(ctx context.Context, parent string) error {
	if parent == "" {
		return nil
	}
	if !isUUID(parent) {
		return domainErr(http.StatusBadRequest, "validation failed")
	}
	var p projectRecord
	if _, err := getJSON(ctx, s.st.projects, parent, &p); err == errNotFound {
		return domainErr(http.StatusBadRequest, "invalid parent project")
	} else if err != nil {
		return err
	}
	return nil
}

func (s *Sim) storeNewProject(ctx context.Context, base *projectRecord, settings *projectSettingsRecord) error {
	if _, err := s.st.projects.Put(ctx, keySlug+base.Slug, []byte(base.UID)); err != nil {
		return err
	}
	if _, err := createJSON(ctx, s.st.projects, base.UID, base); err != nil {
		return err
	}
	_, err := createJSON(ctx, s.st.projectSettings, base.UID, settings)
	return err
}

func projectPublishErr(err error) error {
	return domainErr(http.StatusInternalServerError, "%s", err.Error())
}

func (s *Sim) getProject(c *call) (*reply, error) {
	uid := c.pathUUID("uid")
	c.version(false)
	if err := c.ready(); err != nil {
		return nil, err
	}
	var p projectRecord
	rev, err := getJSON(c.ctx, s.st.projects, uid, &p)
	if err == errNotFound {
		return nil, errProjectNotFound
	} else if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: p.api(), etag: rev}, nil
}

// listProjects is denied by Heimdall in production (deny_all rule).
func (s *Sim) listProjects(c *call) (*reply, error) {
	return nil, &apiError{status: http.StatusForbidden, bare: true}
}

// updateProject follows spec §2.4: the revision is compared last.
func (s *Sim) updateProject(c *call) (*reply, error) {
	uid := c.pathUUID("uid")
	c.version(false)
	c.xSync()
	var in projectBaseIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	in.check(&c.v)
	if err := c.ready(); err != nil {
		return nil, err
	}
	if err := in.archivedRule(); err != nil {
		return nil, err
	}
	rev, err := c.ifMatch()
	if err != nil {
		return nil, err
	}
	var old projectRecord
	if _, err := getJSON(c.ctx, s.st.projects, uid, &old); err == errNotFound {
		return nil, errProjectNotFound
	} else if err != nil {
		return nil, err
	}
	if str(in.Slug) != old.Slug {
		if err := s.slugFree(c.ctx, str(in.Slug)); err != nil {
			return nil, err
		}
	}
	if err := s.checkProjectParent(c.ctx, str(in.ParentUID)); err != nil {
		return nil, err
	}
	created := c.now
	if old.CreatedAt != nil {
		created = *old.CreatedAt
	}
	rec := in.record(uid, created, c.now)
	if _, err := updateJSON(c.ctx, s.st.projects, uid, &rec, rev); isStale(err) {
		return nil, domainErr(http.StatusConflict, "revision mismatch")
	} else if err != nil {
		return nil, err
	}
	if err := s.moveSlug(c.ctx, uid, old.Slug, rec.Slug); err != nil {
		return nil, err
	}
	var settings projectSettingsRecord
	_, _ = getJSON(c.ctx, s.st.projectSettings, uid, &settings)
	b := s.batch(c.delivery())
	s.indexProject(b, c, actionUpdated, &rec)
	b.publish(subjectFGAUpdate, projectAccess(&rec, &settings))
	if err := b.send(); err != nil {
		return nil, projectPublishErr(err)
	}
	return ok(rec.api()), nil
}

func (s *Sim) moveSlug(ctx context.Context, uid, from, to string) error {
	if from == to {
		return nil
	}
	if _, err := s.st.projects.Put(ctx, keySlug+to, []byte(uid)); err != nil {
		return err
	}
	return deleteKey(ctx, s.st.projects, keySlug+from)
}

// deleteProject follows spec §2.6: Crowdfunding-only, no cascade.
func (s *Sim) deleteProject(c *call) (*reply, error) {
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
	var old projectRecord
	if _, err := getJSON(c.ctx, s.st.projects, uid, &old); err == errNotFound {
		return nil, errProjectNotFound
	} else if err != nil {
		return nil, err
	}
	if !slices.Equal(old.FundingModel, []string{"Crowdfunding"}) {
		return nil, domainErr(http.StatusBadRequest, "project can only be deleted if its funding model is Crowdfunding only")
	}
	if err := s.st.projects.Delete(c.ctx, uid, jetstream.LastRevision(rev)); isStale(err) {
		return nil, domainErr(http.StatusConflict, "revision mismatch")
	} else if err != nil {
		return nil, err
	}
	_ = deleteKey(c.ctx, s.st.projects, keySlug+old.Slug)
	_ = deleteKey(c.ctx, s.st.projectSettings, uid)
	b := s.batch(c.delivery())
	b.add(indexMsg{objectType: KindProject, action: actionDeleted, authz: c.authz, onBehalfOf: c.id.principal, data: uid})
	b.add(indexMsg{objectType: KindProjectSettings, action: actionDeleted, authz: c.authz, onBehalfOf: c.id.principal, data: uid})
	b.publish(subjectFGADelete, fgaMessage{ObjectType: "project", Operation: "delete_access", Data: map[string]string{"uid": uid}})
	if err := b.send(); err != nil {
		return nil, projectPublishErr(err)
	}
	return noContent(), nil
}
