package v2sim

// What the project service sends the indexer and fga-sync (spec §2.8).

func (s *Sim) indexProject(b *batch, c *call, action string, p *projectRecord) {
	public := p.Public
	cfg := &indexingConfig{
		ObjectID: "{{ uid }}", Public: &public,
		AccessCheckObject: "project:{{ uid }}", AccessCheckRelation: "viewer",
		HistoryCheckObject: "project:{{ uid }}", HistoryCheckRelation: "writer",
		SortName: "{{ name }}", NameAndAliases: []string{"{{ name }}", "{{ slug }}"},
		Fulltext: "{{ name }} {{ slug }} {{ description }}", Tags: []string{"project_slug:{{ slug }}"},
	}
	if p.ParentUID != "" {
		cfg.ParentRefs = []string{"project:{{ parent_uid }}"}
	}
	b.add(indexMsg{objectType: KindProject, action: action, authz: c.authz, onBehalfOf: c.id.principal, data: p, config: cfg})
}

func (s *Sim) indexProjectSettings(b *batch, c *call, action string, st *projectSettingsRecord) {
	cfg := &indexingConfig{
		ObjectID:          "{{ uid }}",
		AccessCheckObject: "project:" + st.UID, AccessCheckRelation: "auditor",
		HistoryCheckObject: "project:" + st.UID, HistoryCheckRelation: "writer",
		ParentRefs: []string{"project:{{ uid }}"},
	}
	for _, t := range []string{st.UID, st.MissionStatement} {
		if t != "" {
			cfg.Tags = append(cfg.Tags, t)
		}
	}
	b.add(indexMsg{objectType: KindProjectSettings, action: action, authz: c.authz, onBehalfOf: c.id.principal, data: st, config: cfg})
}

// fgaMessage is the fga-sync envelope.
type fgaMessage struct {
	ObjectType string `json:"object_type"`
	Operation  string `json:"operation"`
	Data       any    `json:"data"`
}

type accessData struct {
	UID              string              `json:"uid"`
	Public           bool                `json:"public"`
	Relations        map[string][]string `json:"relations"`
	References       map[string][]string `json:"references"`
	ExcludeRelations []string            `json:"exclude_relations"`
}

// projectAccess is a full sync of the project's tuples; users without a
// username get no access.
func projectAccess(p *projectRecord, st *projectSettingsRecord) fgaMessage {
	rel := map[string][]string{}
	addUsers(rel, "writer", st.Writers)
	addUsers(rel, "auditor", st.Auditors)
	addUsers(rel, "meeting_coordinator", st.MeetingCoordinators)
	if st.ExecutiveDirector != nil {
		addUsers(rel, "executive_director", []UserInfo{*st.ExecutiveDirector})
	}
	refs := map[string][]string{}
	if p.ParentUID != "" {
		refs["parent"] = []string{"project:" + p.ParentUID}
	}
	return fgaMessage{ObjectType: "project", Operation: "update_access",
		Data: accessData{UID: p.UID, Public: p.Public, Relations: rel, References: refs}}
}

func addUsers(rel map[string][]string, name string, us []UserInfo) {
	for _, u := range us {
		if u.Username != "" {
			rel[name] = append(rel[name], u.Username)
		}
	}
}
