package mapids

import (
	"context"
	"strings"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/intent"
)

// mapMember fills a committee-member intent from a platform.community__c row
// (spec §4.4). The prior art's member payload is a full replacement built
// from v1, so columns without a value are sent as null. skip is true for a
// member the rules do not sync (no email).
func (s *Stage) mapMember(ctx context.Context, r row, in *pipeline.Message, it *intent.Intent) (skip bool, err error) {
	email := strings.TrimSpace(r.str("contactemail__c"))
	if email == "" {
		// A whitespace-only address is as blank as an empty one.
		s.stats.Skipped.Add(1)
		s.log(s.deps.Log.Info(), it.Key).Msg("member without an email: skipped")
		return true, nil
	}
	committeeSFID := r.trimmed("collaboration_name__c")
	if committeeSFID == "" {
		return false, missingField("committee member %s: collaboration_name__c is required", it.V1ID)
	}
	committeeUID, err := s.committeeUID(ctx, in, committeeSFID)
	if err != nil {
		return false, err
	}
	it.CommitteeSFID, it.CommitteeUID = committeeSFID, committeeUID
	it.ProjectSFID = r.trimmed("project_name__c")
	contact, valid := contactSFID(r.str("contact_name__c"))
	if valid {
		it.ContactSFID = contact
	} else if r.trimmed("contact_name__c") != "" {
		s.log(s.deps.Log.Warn(), it.Key).Msg("contact_name__c is not an SFID: synced without a contact")
	}

	b := newBuilder(clearMissing)
	b.set("email", email, true)
	if err := s.memberPerson(ctx, contact, b); err != nil {
		return false, err
	}
	b.text("job_title", r.str("title"))
	memberRoleAndVoting(r, b)
	b.set("appointed_by", oneOf(r.str("appointed_by__c"), appointedBy, enumNone), true)
	status := r.str("status__c")
	if status == "" {
		status = statusActive
	}
	b.set("status", status, true)
	if err := s.memberOrg(ctx, r.trimmed("account__c"), b); err != nil {
		return false, err
	}
	return false, setBodies(it, b.obj, nil)
}

// memberPerson sets username and names from the contact's v1 user row; an
// unknown contact or an unsafe username leaves all three null.
func (s *Stage) memberPerson(ctx context.Context, contact string, b *builder) error {
	u, ok, err := s.mergedUser(ctx, contact)
	if err != nil {
		return err
	}
	if !ok {
		u = row{}
	}
	b.text("username", strings.TrimSpace(u.str("username__c")))
	b.text("first_name", u.trimmed("firstname"))
	b.text("last_name", u.trimmed("lastname"))
	return nil
}

// memberRoleAndVoting builds role and voting. Dates travel only inside their
// object, and each object only exists when its name/status has a value: v2
// defaults a sent object's status to None, which voting committees reject.
func memberRoleAndVoting(r row, b *builder) {
	if name := r.str("role__c"); name != "" {
		role := newBuilder(keepMissing)
		role.set("name", oneOf(name, memberRoles, enumNone), true)
		role.date("start_date", r.str("start_date__c"))
		role.date("end_date", r.str("end_date__c"))
		b.set("role", role.obj, true)
	} else {
		b.set("role", nil, false)
	}
	if status := r.str("voting_status__c"); status != "" {
		voting := newBuilder(keepMissing)
		voting.set("status", status, true)
		voting.date("start_date", r.str("voting_start_date__c"))
		voting.date("end_date", r.str("voting_end_date__c"))
		b.set("voting", voting.obj, true)
	} else {
		b.set("voting", nil, false)
	}
}

// memberOrg sets organization from account__c. With an OrgDirectory it is
// the prior art's {id, name, website} (omitted when the account has no
// name); without one it is the id alone, which v2 accepts and resolves.
func (s *Stage) memberOrg(ctx context.Context, account string, b *builder) error {
	if account == "" {
		b.set("organization", nil, false)
		return nil
	}
	org := object{"id": account}
	if s.deps.Orgs != nil {
		name, website, ok, err := s.deps.Orgs.Org(ctx, account)
		if err != nil {
			return pipeline.Retry(err, 0)
		}
		if !ok {
			b.set("organization", nil, false)
			return nil
		}
		org["name"] = name
		if validURL(website) {
			org["website"] = cleanURL(website)
		}
	}
	b.set("organization", org, true)
	return nil
}
