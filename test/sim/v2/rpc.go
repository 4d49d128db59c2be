package v2sim

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/linuxfoundation/v1sync/streams"
)

// NATS request/reply subjects the services serve (spec §2.9, §3.9).
const (
	SubjectSlugToUID    = streams.SubjectSlugToUID
	SubjectGetName      = "lfx.projects-api.get_name"
	SubjectGetSlug      = "lfx.projects-api.get_slug"
	SubjectGetLogo      = "lfx.projects-api.get_logo"
	SubjectGetParentUID = "lfx.projects-api.get_parent_uid"
	SubjectGetWriters   = "lfx.projects-api.get_writers"

	SubjectCommitteeGetName     = "lfx.committee-api.get_name"
	SubjectCommitteeListMembers = "lfx.committee-api.list_members"
	SubjectCommitteeGetProject  = "lfx.committee-api.get_project"

	projectsQueue   = "lfx.projects-api.queue"
	committeesQueue = "lfx.committee-api.queue"
	rpcTimeout      = 5 * time.Second
)

// rpcHandler answers one request body; "" means not found for the project
// service, which replies empty.
type rpcHandler func(ctx context.Context, req string) string

func (s *Sim) serveRPC() error {
	routes := []struct {
		subject, queue string
		h              rpcHandler
	}{
		{SubjectSlugToUID, projectsQueue, s.rpcSlugToUID},
		{SubjectGetName, projectsQueue, s.projectField(func(p *projectRecord) string { return p.Name })},
		{SubjectGetSlug, projectsQueue, s.projectField(func(p *projectRecord) string { return p.Slug })},
		{SubjectGetLogo, projectsQueue, s.projectField(func(p *projectRecord) string { return p.LogoURL })},
		{SubjectGetParentUID, projectsQueue, s.projectField(func(p *projectRecord) string { return p.ParentUID })},
		{SubjectGetWriters, projectsQueue, s.rpcProjectWriters},
		{SubjectCommitteeGetName, committeesQueue, s.rpcCommitteeName},
		{SubjectCommitteeListMembers, committeesQueue, s.rpcListMembers},
		{SubjectCommitteeGetProject, committeesQueue, s.rpcCommitteeProject},
	}
	for _, r := range routes {
		sub, err := s.nc.QueueSubscribe(r.subject, r.queue, s.answer(r.h))
		if err != nil {
			return fmt.Errorf("v2sim: subscribe %s: %w", r.subject, err)
		}
		s.subs = append(s.subs, sub)
	}
	return s.nc.Flush()
}

func (s *Sim) answer(h rpcHandler) nats.MsgHandler {
	return func(m *nats.Msg) {
		ctx, cancel := context.WithTimeout(s.life, rpcTimeout)
		defer cancel()
		_ = m.Respond([]byte(h(ctx, strings.TrimSpace(string(m.Data)))))
	}
}

func (s *Sim) rpcSlugToUID(ctx context.Context, slug string) string {
	uid, _ := getString(ctx, s.st.projects, keySlug+slug)
	return uid
}

func (s *Sim) projectField(f func(*projectRecord) string) rpcHandler {
	return func(ctx context.Context, uid string) string {
		if !isUUID(uid) {
			return ""
		}
		var p projectRecord
		if _, err := getJSON(ctx, s.st.projects, uid, &p); err != nil {
			return ""
		}
		return f(&p)
	}
}

func (s *Sim) rpcProjectWriters(ctx context.Context, uid string) string {
	var st projectSettingsRecord
	if !isUUID(uid) {
		return ""
	}
	if _, err := getJSON(ctx, s.st.projectSettings, uid, &st); err != nil {
		return ""
	}
	if st.Writers == nil {
		return "[]"
	}
	return string(rawJSON(st.Writers))
}

func (s *Sim) rpcCommitteeName(ctx context.Context, uid string) string {
	var c committeeRecord
	if !isUUID(uid) {
		return ""
	}
	if _, err := getJSON(ctx, s.st.committees, uid, &c); err != nil {
		return ""
	}
	return c.Name
}

func (s *Sim) rpcListMembers(ctx context.Context, cuid string) string {
	members := []Member{}
	if isUUID(cuid) {
		uids, _ := s.memberKeys(ctx, cuid)
		for _, muid := range uids {
			var m memberRecord
			if _, err := getJSON(ctx, s.st.members, muid, &m); err == nil {
				members = append(members, m.api())
			}
		}
	}
	return string(rawJSON(members))
}

func (s *Sim) rpcCommitteeProject(ctx context.Context, req string) string {
	var in struct {
		CommitteeUID string `json:"committee_uid"`
	}
	notFound := `{"error":"not found"}`
	if json.Unmarshal([]byte(req), &in) != nil || !isUUID(in.CommitteeUID) {
		return notFound
	}
	var c committeeRecord
	if _, err := getJSON(ctx, s.st.committees, in.CommitteeUID, &c); err != nil {
		return notFound
	}
	return string(rawJSON(map[string]string{"project_uid": c.ProjectUID}))
}
