package write

import (
	"context"
	"net/http"
	"strings"

	"github.com/linuxfoundation/v1sync/stages/idmap"
	"github.com/linuxfoundation/v1sync/stages/intent"
	"github.com/linuxfoundation/v1sync/stages/v2client"
)

type committeeEntity struct{ deps *deps }

func (committeeEntity) service() v2client.Service { return v2client.Committees }

func (committeeEntity) forwardKey(in intent.Intent) string { return idmap.CommitteeSFIDKey(in.V1ID) }

func (committeeEntity) parse(_ intent.Intent, v string) target { return target{UID: v} }

func (committeeEntity) basePath(t target) string { return v2client.CommitteePath(t.UID) }

func (committeeEntity) settingsPath(t target) string { return v2client.CommitteeSettingsPath(t.UID) }

func (committeeEntity) createPath(intent.Intent) string { return v2client.CommitteesPath() }

func (committeeEntity) parents(in intent.Intent, body map[string]any) {
	if _, ok := body["project_uid"]; !ok && in.ProjectUID != "" {
		body["project_uid"] = in.ProjectUID
	}
}

func (committeeEntity) created(_ intent.Intent, resp map[string]any) target {
	return target{UID: str(resp["uid"])}
}

func (committeeEntity) headers(string) http.Header { return nil }

// find replays the captured committee events (the service has no search).
func (e committeeEntity) find(ctx context.Context, in intent.Intent, body map[string]any) (string, error) {
	project := str(body["project_uid"])
	if project == "" {
		project = in.ProjectUID
	}
	name := str(body["name"])
	if project == "" || name == "" {
		return "", nil
	}
	return e.deps.v2.CommitteeUIDByName(ctx, project, name)
}

// storeMappings writes both directions (the reverse key owned first) before
// any v1 write-back, so the v1 echo of the write-back never looks like an
// unmapped v2 object.
func (e committeeEntity) storeMappings(ctx context.Context, in intent.Intent, t target) error {
	value := idmap.CommitteeUIDValue(in.ProjectSFID, in.V1ID)
	if err := e.deps.own(ctx, in, t.UID, idmap.CommitteeUIDKey(t.UID), value, committeeOwner); err != nil {
		return err
	}
	return e.deps.ids.Put(ctx, idmap.CommitteeSFIDKey(in.V1ID), t.UID)
}

func (committeeEntity) mappingKeys(in intent.Intent, t target) []string {
	return []string{idmap.CommitteeSFIDKey(in.V1ID), idmap.CommitteeUIDKey(t.UID)}
}

func (committeeEntity) readOnly() []string {
	return []string{"uid", "sso_group_name", "total_members", "total_voting_repos",
		"has_mailing_list", "project_name", "project_slug", "created_at", "updated_at"}
}

func (committeeEntity) settingsReadOnly() []string {
	return []string{"uid", "has_chat_webhook", "created_at", "updated_at"}
}

func (committeeEntity) defaults() map[string]any { return nil }

// committeeOwner reads the committee SFID out of committee.uid.<uid> =
// <projectSFID>:<committeeSFID> (the project part may change).
func committeeOwner(v string) string { return v[strings.LastIndexByte(v, ':')+1:] }
