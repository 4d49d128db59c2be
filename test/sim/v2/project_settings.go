package v2sim

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"
)

var errProjectSettingsNotFound = domainErr(http.StatusNotFound, "project settings not found")

func (s *Sim) getProjectSettings(c *call) (*reply, error) {
	uid := c.pathUUID("uid")
	c.version(false)
	if err := c.ready(); err != nil {
		return nil, err
	}
	var st projectSettingsRecord
	rev, err := getJSON(c.ctx, s.st.projectSettings, uid, &st)
	if err == errNotFound {
		return nil, errProjectSettingsNotFound
	} else if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: st.api(), etag: rev}, nil
}

// updateProjectSettings is a full replacement (spec §2.5): omitted roles
// are cleared, every emailed role holder is re-enriched.
func (s *Sim) updateProjectSettings(c *call) (*reply, error) {
	uid := c.pathUUID("uid")
	c.version(false)
	c.xSync()
	var in projectSettingsIn
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
	var old projectSettingsRecord
	if _, err := getJSON(c.ctx, s.st.projectSettings, uid, &old); err == errNotFound {
		return nil, errProjectSettingsNotFound
	} else if err != nil {
		return nil, err
	}
	s.enrichProjectSettings(&in)
	in.carryInvites(&old)
	created := c.now
	if old.CreatedAt != nil {
		created = *old.CreatedAt
	}
	rec := in.record(uid, created, c.now)
	if _, err := updateJSON(c.ctx, s.st.projectSettings, uid, &rec, rev); isStale(err) {
		return nil, domainErr(http.StatusConflict, "revision mismatch")
	} else if err != nil {
		return nil, err
	}
	var base projectRecord
	_, _ = getJSON(c.ctx, s.st.projects, uid, &base)
	b := s.batch(c.delivery())
	s.indexProjectSettings(b, c, actionUpdated, &rec)
	b.publish(subjectFGAUpdate, projectAccess(&base, &rec))
	b.publish(subjectProjectSettings, projectSettingsEvent{ProjectUID: uid, Old: old.api(), New: rec.api(),
		Actor: actor{Username: c.id.principal}})
	if err := b.send(); err != nil {
		return nil, projectPublishErr(err)
	}
	return ok(rec.api()), nil
}

func (s *Sim) enrichProjectSettings(in *projectSettingsIn) {
	in.Writers = s.users.enrichUsers(in.Writers)
	in.Auditors = s.users.enrichUsers(in.Auditors)
	in.MeetingCoordinators = s.users.enrichUsers(in.MeetingCoordinators)
	in.ExecutiveDirector = s.users.enrichOne(in.ExecutiveDirector)
	in.ProgramManager = s.users.enrichOne(in.ProgramManager)
	in.OpportunityOwner = s.users.enrichOne(in.OpportunityOwner)
}

type projectSettingsEvent struct {
	ProjectUID string          `json:"project_uid"`
	Old        ProjectSettings `json:"old_settings"`
	New        ProjectSettings `json:"new_settings"`
	Actor      actor           `json:"actor"`
}

type actor struct {
	Username string `json:"username"`
	Name     string `json:"name"`
	Email    string `json:"email"`
}

// seedRoot writes the ROOT project straight into KV, as the init container
// does, unless it is already there; it returns ROOT's uid.
func (s *Sim) seedRoot(ctx context.Context) (string, error) {
	if uid, err := getString(ctx, s.st.projects, keySlug+"ROOT"); err == nil {
		return uid, nil
	} else if err != errNotFound {
		return "", err
	}
	uid := s.cfg.RootUID
	if uid == "" {
		uid = uuid.NewString()
	}
	now := time.Now().UTC()
	base := projectRecord{UID: uid, Slug: "ROOT", Name: "ROOT", Description: "Root project", CreatedAt: &now, UpdatedAt: &now}
	settings := projectSettingsRecord{UID: uid, CreatedAt: &now, UpdatedAt: &now}
	if err := s.storeNewProject(ctx, &base, &settings); err != nil {
		return "", err
	}
	return uid, nil
}

// carryInvites keeps the stored invites of re-sent users (and drops any
// invite data a client sent).
func (in *projectSettingsIn) carryInvites(old *projectSettingsRecord) {
	all := [][]UserInfo{old.Writers, old.Auditors, old.MeetingCoordinators}
	for _, u := range []*UserInfo{old.ExecutiveDirector, old.ProgramManager, old.OpportunityOwner} {
		if u != nil {
			all = append(all, []UserInfo{*u})
		}
	}
	in.Writers = carryInvites(in.Writers, all...)
	in.Auditors = carryInvites(in.Auditors, all...)
	in.MeetingCoordinators = carryInvites(in.MeetingCoordinators, all...)
	in.ExecutiveDirector = carryInvite(in.ExecutiveDirector, all...)
	in.ProgramManager = carryInvite(in.ProgramManager, all...)
	in.OpportunityOwner = carryInvite(in.OpportunityOwner, all...)
}
