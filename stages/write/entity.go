package write

import (
	"context"
	"net/http"

	"github.com/linuxfoundation/v1sync/stages/intent"
	"github.com/linuxfoundation/v1sync/stages/v2client"
)

// target locates a v2 object; CommitteeUID is set for members only.
type target struct {
	UID          string
	CommitteeUID string
}

// entity holds what differs between projects, committees and members; the
// create/update/delete flows are shared.
type entity interface {
	service() v2client.Service
	forwardKey(in intent.Intent) string
	// parse reads a live forward mapping value.
	parse(in intent.Intent, value string) target
	basePath(t target) string
	// settingsPath is "" for entities without a settings document.
	settingsPath(t target) string
	createPath(in intent.Intent) string
	// parents fills the parent uid the map stage resolved, unless Base has it.
	parents(in intent.Intent, body map[string]any)
	// created builds the target from a create response.
	created(in intent.Intent, resp map[string]any) target
	headers(op string) http.Header
	// find looks the object up by its natural key; "" when not found.
	find(ctx context.Context, in intent.Intent, body map[string]any) (string, error)
	// storeMappings owns the object's reverse key for in's record first:
	// another record owning it is a permanent v2-conflict.
	storeMappings(ctx context.Context, in intent.Intent, t target) error
	// mappingKeys are tombstoned when the object is deleted.
	mappingKeys(in intent.Intent, t target) []string
	// readOnly fields of the base and settings documents; defaults are
	// required keys that a GET omits when empty.
	readOnly() []string
	settingsReadOnly() []string
	defaults() map[string]any
}

// Header values.
const (
	opCreate = "create"
	opUpdate = "update"
	opDelete = "delete"
)
