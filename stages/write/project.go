package write

import (
	"context"
	"net/http"
	"strings"

	"github.com/linuxfoundation/v1sync/stages/idmap"
	"github.com/linuxfoundation/v1sync/stages/intent"
	"github.com/linuxfoundation/v1sync/stages/v2client"
)

type projectEntity struct{ deps *deps }

func (projectEntity) service() v2client.Service { return v2client.Projects }

func (projectEntity) forwardKey(in intent.Intent) string { return idmap.ProjectSFIDKey(in.V1ID) }

func (projectEntity) parse(_ intent.Intent, v string) target { return target{UID: v} }

func (projectEntity) basePath(t target) string { return v2client.ProjectPath(t.UID) }

func (projectEntity) settingsPath(t target) string { return v2client.ProjectSettingsPath(t.UID) }

func (projectEntity) createPath(intent.Intent) string { return v2client.ProjectsPath() }

func (projectEntity) parents(in intent.Intent, body map[string]any) {
	if _, ok := body["parent_uid"]; !ok && in.ProjectUID != "" {
		body["parent_uid"] = in.ProjectUID
	}
}

func (projectEntity) created(_ intent.Intent, resp map[string]any) target {
	return target{UID: str(resp["uid"])}
}

func (projectEntity) headers(string) http.Header { return nil }

// find uses the project service's slug index (slugs are unique).
func (e projectEntity) find(ctx context.Context, _ intent.Intent, body map[string]any) (string, error) {
	slug := strings.ToLower(str(body["slug"]))
	if slug == "" {
		return "", nil
	}
	return e.deps.v2.ProjectUIDBySlug(ctx, slug)
}

// storeMappings owns the reverse key before writing the forward one.
func (e projectEntity) storeMappings(ctx context.Context, in intent.Intent, t target) error {
	if err := e.deps.own(ctx, in, t.UID, idmap.ProjectUIDKey(t.UID), in.V1ID, wholeValue); err != nil {
		return err
	}
	return e.deps.ids.Put(ctx, idmap.ProjectSFIDKey(in.V1ID), t.UID)
}

func (projectEntity) mappingKeys(in intent.Intent, t target) []string {
	return []string{idmap.ProjectSFIDKey(in.V1ID), idmap.ProjectUIDKey(t.UID)}
}

func (projectEntity) readOnly() []string { return []string{"uid", "created_at", "updated_at"} }

func (projectEntity) settingsReadOnly() []string { return []string{"uid", "created_at", "updated_at"} }

// The project service requires these keys on PUT but omits them from a GET
// when they are empty.
func (projectEntity) defaults() map[string]any {
	return map[string]any{"description": "", "parent_uid": ""}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
