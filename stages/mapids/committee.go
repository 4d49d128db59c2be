package mapids

import (
	"context"
	"strings"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/intent"
)

// mapCommittee fills a committee intent from a platform.collaboration__c row
// (spec §4.3). The prior art overlays present v1 values on the current v2
// committee, so columns without a value are omitted (v2 keeps its value),
// and a v1 false is sent as false (it must override a v2 true).
func (s *Stage) mapCommittee(ctx context.Context, r row, in *pipeline.Message, it *intent.Intent) error {
	name := r.str("mailing_list__c")
	if strings.TrimSpace(name) == "" {
		return missingField("committee %s: mailing_list__c (the committee name) is required", it.V1ID)
	}
	projectSFID := r.trimmed("project_name__c")
	if projectSFID == "" {
		return missingField("committee %s: project_name__c is required", it.V1ID)
	}
	projectUID, err := s.projectUID(ctx, in, "project", projectSFID)
	if err != nil {
		return err
	}
	it.ProjectSFID, it.ProjectUID = projectSFID, projectUID

	b := newBuilder(keepMissing)
	b.set("name", name, true)
	b.set("project_uid", projectUID, true)
	b.text("description", r.str("description__c"))
	if typ := r.str("type__c"); typ != "" {
		b.set("category", committeeCategory(typ, name), true)
	}
	b.url("website", r.str("committee_website__c"))
	b.flag("enable_voting", r, "enable_voting__c")
	b.flag("sso_group_enabled", r, "sso_group_enabled")
	b.flag("public", r, "public_enabled")
	b.text("display_name", r.str("public_name"))
	b.text("mailing_list", r.str("mailing_list_email"))
	b.text("chat_channel", r.str("chat_channel"))
	b.text("join_mode", r.str("join_mode"))

	settings := newBuilder(keepMissing)
	settings.flag("business_email_required", r, "business_email_required__c")
	// The prior art sends these two on create only; after that v2 owns them.
	it.CreateOnly = []string{"join_mode", "business_email_required"}
	var settingsObj object
	if len(settings.obj) > 0 {
		settingsObj = settings.obj
	}
	return setBodies(it, b.obj, settingsObj)
}
