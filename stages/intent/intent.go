// Package intent is the message the map stage hands the write stage on
// V2_INTENTS: the full desired state of one v2 object, derived from one
// revision of one v1 row.
package intent

import (
	"encoding/json"
	"fmt"
)

// Entity is a v2 object kind.
type Entity string

const (
	Project         Entity = "project"
	Committee       Entity = "committee"
	CommitteeMember Entity = "committee_member"
)

// Op is what the write stage must make true in v2.
type Op string

const (
	// Upsert: the v2 object exists with Base (and Settings) as its v1-owned fields.
	Upsert Op = "upsert"
	// Delete: the v2 object no longer exists; its mappings are tombstoned.
	Delete Op = "delete"
)

// Intent is full-state and version-stamped: applying it twice, or applying
// an older one after a newer one, must change nothing.
type Intent struct {
	Entity Entity `json:"entity"`
	Op     Op     `json:"op"`
	// Key is the v1-objects key, e.g. "salesforce-project__c.<sfid>"; the
	// ordering and version-guard key.
	Key string `json:"key"`
	// V1ID is the v1 record id (the part of Key after the first dot).
	V1ID string `json:"v1_id"`
	// SourceRevision is the v1-objects revision this intent was built from.
	// The write stage drops an intent older than the last one it applied.
	SourceRevision uint64 `json:"source_revision"`
	// Principal is the v1 principal to impersonate ("" = the service principal).
	Principal string `json:"principal,omitempty"`

	// Parents resolved by the map stage (v2 uids and the v1 ids they map to).
	ProjectUID    string `json:"project_uid,omitempty"`
	ProjectSFID   string `json:"project_sfid,omitempty"`
	CommitteeUID  string `json:"committee_uid,omitempty"`
	CommitteeSFID string `json:"committee_sfid,omitempty"`
	// ContactSFID is a member's v1 contact (the v1 API's MemberID).
	ContactSFID string `json:"contact_sfid,omitempty"`

	// Base and Settings are the v1-owned fields of the v2 object, as the v2
	// API names them. Fields not present are owned by v2 and left alone. A
	// field present with JSON null is owned by v1, which has no value for it:
	// the write stage clears it (omits it from the PUT body).
	Base     json.RawMessage `json:"base,omitempty"`
	Settings json.RawMessage `json:"settings,omitempty"`
	// CreateOnly names Base/Settings fields that are sent when the v2 object
	// is created and never on update (the prior art's committee join_mode and
	// business_email_required): after creation v2 owns them.
	CreateOnly []string `json:"create_only,omitempty"`
}

// Validate reports an intent the write stage cannot apply.
func (in Intent) Validate() error {
	switch in.Entity {
	case Project, Committee, CommitteeMember:
	default:
		return fmt.Errorf("intent %s: unknown entity %q", in.Key, in.Entity)
	}
	switch in.Op {
	case Upsert, Delete:
	default:
		return fmt.Errorf("intent %s: unknown op %q", in.Key, in.Op)
	}
	if in.Key == "" || in.V1ID == "" {
		return fmt.Errorf("intent: key and v1_id are required (key %q)", in.Key)
	}
	if in.Op == Upsert && len(in.Base) == 0 {
		return fmt.Errorf("intent %s: upsert without base", in.Key)
	}
	return nil
}

// Marshal encodes the intent.
func (in Intent) Marshal() ([]byte, error) { return json.Marshal(in) }

// Unmarshal decodes an intent and validates it.
func Unmarshal(data []byte) (Intent, error) {
	var in Intent
	if err := json.Unmarshal(data, &in); err != nil {
		return Intent{}, fmt.Errorf("intent: %w", err)
	}
	return in, in.Validate()
}
