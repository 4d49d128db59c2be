package mapids

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/intent"
)

// maxProjectDepth bounds the walk up the v1 hierarchy when deriving
// "public"; v1 has three levels, and a cycle must not loop forever.
const maxProjectDepth = 8

const stageActive = "Active"

// mapProject fills a project intent from a salesforce.project__c row
// (spec §4.2). The base is a full replacement in the prior art, so v1
// columns without a value are sent as null (cleared); settings only ever
// add or overwrite, so a failed staff lookup never clears a v2 value.
func (s *Stage) mapProject(ctx context.Context, r row, in *pipeline.Message, it *intent.Intent) error {
	name, slug := r.str("name"), strings.ToLower(r.str("slug__c"))
	if strings.TrimSpace(name) == "" || strings.TrimSpace(slug) == "" {
		return missingField("project %s: name and slug__c are required", it.V1ID)
	}
	b := newBuilder(clearMissing)
	b.set("name", name, true)
	b.set("slug", slug, true)
	// v2 requires the description key; "" is accepted, absence is a 400.
	b.set("description", r.str("description__c"), true)
	if err := s.projectParents(ctx, r, in, b); err != nil {
		return err
	}
	projectPlainFields(r, b)
	public, err := s.projectPublic(ctx, r, 0)
	if err != nil {
		return err
	}
	b.set("public", public, true)
	settings, err := s.projectSettings(ctx, r)
	if err != nil {
		return err
	}
	return setBodies(it, b.obj, settings)
}

// projectPlainFields maps the columns that need no lookup.
func projectPlainFields(r row, b *builder) {
	switch cat := r.str("admin_category__c"); {
	case !r.isString("admin_category__c") || cat == "":
		b.set("category", nil, false)
	default:
		b.set("category", oneOf(cat, projectCategories, categoryNone), true)
	}
	b.text("legal_entity_type", r.str("category__c"))
	b.text("funding", r.str("funding__c"))
	model := splitList(r.str("model__c"))
	b.set("funding_model", model, len(model) > 0)
	b.url("charter_url", r.str("charterurl__c"))
	b.flag("autojoin_enabled", r, "auto_join_enabled__c")
	b.date("formation_date", r.str("start_date__c"))
	b.url("logo_url", r.str("project_logo__c"))
	b.url("repository_url", r.str("repositoryurl__c"))
	b.url("website_url", r.str("website__c"))
	b.text("legal_entity_name", r.str("project_entity_name__c"))
	b.date("entity_dissolution_date", r.str("project_entity_dissolution_date__c"))
	b.url("entity_formation_document_url", r.str("project_entity_formation_document__c"))
	b.text("stage", r.str("project_status__c"))
}

// projectParents resolves parent_uid (ROOT for top-level projects) and
// legal_parent_uid through the ID map.
func (s *Stage) projectParents(ctx context.Context, r row, in *pipeline.Message, b *builder) error {
	var parent string
	var err error
	if sfid := r.trimmed("parent_project__c"); sfid != "" {
		parent, err = s.projectUID(ctx, in, "parent project", sfid)
	} else {
		parent, err = s.rootUID(ctx, in)
	}
	if err != nil {
		return err
	}
	b.set("parent_uid", parent, true)
	legal := r.trimmed("parent_entity_relationship__c")
	if legal == "" {
		b.set("legal_parent_uid", nil, false)
		return nil
	}
	uid, err := s.projectUID(ctx, in, "legal parent project", legal)
	if err != nil {
		return err
	}
	b.set("legal_parent_uid", uid, true)
	return nil
}

// projectPublic: only an Active project is public; a top-level one is,
// a child is public when its parent is. The prior art copied the parent's
// public flag from v2; deriving it from the parent's v1 row by the same rule
// gives the same answer without a v2 call from this stage (a missing parent
// row counts as not public, as the prior art's failed fetch did).
func (s *Stage) projectPublic(ctx context.Context, r row, depth int) (bool, error) {
	if r.str("project_status__c") != stageActive {
		return false, nil
	}
	parent := r.trimmed("parent_project__c")
	if parent == "" {
		return true, nil
	}
	if depth >= maxProjectDepth {
		return false, nil
	}
	pr, ok, err := s.object(ctx, prefixProject+"."+parent)
	if err != nil || !ok {
		return false, err
	}
	return s.projectPublic(ctx, pr, depth+1)
}

// projectSettings maps the settings columns; nil when none has a value.
func (s *Stage) projectSettings(ctx context.Context, r row) (object, error) {
	b := newBuilder(keepMissing)
	b.text("mission_statement", r.str("mission_statement"))
	b.date("announcement_date", r.str("expected_announcement_date__c"))
	for field, col := range map[string]string{
		"executive_director": "executive_director__c",
		"program_manager":    "program_manager__c",
	} {
		u, err := s.staffUser(ctx, r.str(col))
		if err != nil {
			return nil, err
		}
		b.set(field, u, u != nil)
	}
	oo, err := s.b2bUser(ctx, r.str("opportunity_owner__c"))
	if err != nil {
		return nil, err
	}
	b.set("opportunity_owner", oo, oo != nil)
	if len(b.obj) == 0 {
		return nil, nil
	}
	return b.obj, nil
}

// setBodies encodes base and settings into the intent.
func setBodies(it *intent.Intent, base, settings object) error {
	var err error
	if it.Base, err = json.Marshal(base); err != nil {
		return pipeline.Permanent(fmt.Errorf("encode base: %w", err))
	}
	if settings != nil {
		if it.Settings, err = json.Marshal(settings); err != nil {
			return pipeline.Permanent(fmt.Errorf("encode settings: %w", err))
		}
	}
	return nil
}

// missingField is a row the rules cannot map: no retry can fix it until v1
// changes, so it is dead-lettered with its reason.
func missingField(format string, args ...any) error {
	return pipeline.Permanent(pipeline.WithReason(fmt.Errorf(format, args...), ReasonMissingField))
}
