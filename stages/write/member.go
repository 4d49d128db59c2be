package write

import (
	"context"
	"net/http"
	"strconv"

	"github.com/linuxfoundation/v1sync/stages/idmap"
	"github.com/linuxfoundation/v1sync/stages/intent"
	"github.com/linuxfoundation/v1sync/stages/v2client"
)

type memberEntity struct {
	deps *deps
	// skipNotification is the X-Skip-Notification value.
	skipNotification string
}

func newMemberEntity(d *deps, skip bool) memberEntity {
	return memberEntity{deps: d, skipNotification: strconv.FormatBool(skip)}
}

func (memberEntity) service() v2client.Service { return v2client.Committees }

func (memberEntity) forwardKey(in intent.Intent) string { return idmap.MemberSFIDKey(in.V1ID) }

// parse reads <committeeUID>:<memberUID>; a legacy bare member uid takes the
// committee from the intent.
func (memberEntity) parse(in intent.Intent, v string) target {
	c, m := idmap.SplitMemberSFIDValue(v)
	if c == "" {
		c = in.CommitteeUID
	}
	return target{UID: m, CommitteeUID: c}
}

func (memberEntity) basePath(t target) string { return v2client.MemberPath(t.CommitteeUID, t.UID) }

func (memberEntity) settingsPath(target) string { return "" }

func (memberEntity) createPath(in intent.Intent) string { return v2client.MembersPath(in.CommitteeUID) }

func (memberEntity) parents(intent.Intent, map[string]any) {}

func (memberEntity) created(in intent.Intent, resp map[string]any) target {
	return target{UID: str(resp["uid"]), CommitteeUID: in.CommitteeUID}
}

// headers: sync-originated adds and removes must not email members.
func (e memberEntity) headers(op string) http.Header {
	h := http.Header{}
	switch op {
	case opCreate:
		h.Set("X-Skip-Notification", e.skipNotification)
		h.Set("X-Skip-Enrichment", "false")
	case opDelete:
		h.Set("X-Skip-Notification", e.skipNotification)
	}
	return h
}

// find uses the committee service's list_members reply (member identity is
// committee + email).
func (e memberEntity) find(ctx context.Context, in intent.Intent, body map[string]any) (string, error) {
	email := str(body["email"])
	if email == "" || in.CommitteeUID == "" {
		return "", nil
	}
	return e.deps.v2.MemberUIDByEmail(ctx, in.CommitteeUID, email)
}

// storeMappings owns the record-sfid companion first (it names the v1
// record), then writes the forward key, and only then the reverse key, in
// the prior art's order.
func (e memberEntity) storeMappings(ctx context.Context, in intent.Intent, t target) error {
	// The record-sfid companion names the record; the reverse key holds the
	// contact SFID, which is not the v1 key.
	if err := e.deps.own(ctx, in, t.UID, idmap.MemberRecordKey(t.UID), in.V1ID, wholeValue); err != nil {
		return err
	}
	if err := e.deps.ids.Put(ctx, idmap.MemberSFIDKey(in.V1ID), idmap.MemberSFIDValue(t.CommitteeUID, t.UID)); err != nil {
		return err
	}
	if in.ContactSFID == "" {
		// No contact: the v1 API could not address this member, so no reverse key.
		return nil
	}
	return e.deps.ids.Put(ctx, idmap.MemberUIDKey(t.UID),
		idmap.MemberUIDValue(in.ProjectSFID, in.CommitteeSFID, in.ContactSFID))
}

func (memberEntity) mappingKeys(in intent.Intent, t target) []string {
	return []string{idmap.MemberSFIDKey(in.V1ID), idmap.MemberUIDKey(t.UID), idmap.MemberRecordKey(t.UID)}
}

func (memberEntity) readOnly() []string {
	return []string{"uid", "committee_uid", "committee_name", "committee_category",
		"created_at", "updated_at", "avatar", "project_uid", "project_slug"}
}

func (memberEntity) settingsReadOnly() []string { return nil }

func (memberEntity) defaults() map[string]any { return nil }
