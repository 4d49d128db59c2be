package mapids

import (
	"context"
	"errors"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/idmap"
)

// EmailDirectory finds the primary email of a v1 user (merged_user sfid):
// the active, non-".old" address flagged primary, else the first active one
// (spec §4.2 staff lookups). "" means none. The emails are not keyed by user
// in v1-objects, so the lookup lives behind this seam (a v1 database or
// cache wired by cmd).
type EmailDirectory interface {
	PrimaryEmail(ctx context.Context, contactSFID string) (string, error)
}

// OrgDirectory names a v1 account for a member's organization. ok is false
// when the account is unknown or has no name (the organization is omitted).
type OrgDirectory interface {
	Org(ctx context.Context, accountSFID string) (name, website string, ok bool, err error)
}

// UserInfo is the v2 settings shape of a person.
type UserInfo struct {
	Name     string `json:"name,omitempty"`
	Email    string `json:"email,omitempty"`
	Username string `json:"username,omitempty"`
	Avatar   string `json:"avatar,omitempty"`
}

// object reads a live v1 row from v1-objects; ok is false when the row is
// absent, empty, a legacy tombstone, undecodable or soft-deleted.
func (s *Stage) object(ctx context.Context, key string) (row, bool, error) {
	e, err := s.deps.Objects.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, pipeline.Retry(err, 0)
	}
	if len(e.Value()) == 0 || idmap.IsTombstone(string(e.Value())) {
		return nil, false, nil
	}
	r, err := decodeRow(e.Value())
	if err != nil || softDeleted(r) {
		return nil, false, nil
	}
	return r, true, nil
}

// mergedUser returns a v1 user row with a safe username: one with a space or
// an "@" is an email or a display name, not an LFID, and counts as a miss.
func (s *Stage) mergedUser(ctx context.Context, sfid string) (row, bool, error) {
	sfid = normalizeSFID(strings.TrimSpace(sfid))
	if sfid == "" {
		return nil, false, nil
	}
	r, ok, err := s.object(ctx, prefixMergedUser+"."+sfid)
	if err != nil || !ok {
		return nil, false, err
	}
	username := strings.TrimSpace(r.str("username__c"))
	if username == "" || strings.ContainsAny(username, " @") {
		return nil, false, nil
	}
	return r, true, nil
}

// staffUser is an executive director or program manager; nil when the
// column is empty or the user is not usable.
func (s *Stage) staffUser(ctx context.Context, sfid string) (*UserInfo, error) {
	r, ok, err := s.mergedUser(ctx, sfid)
	if err != nil || !ok {
		return nil, err
	}
	u := &UserInfo{
		Username: strings.TrimSpace(r.str("username__c")),
		Name:     strings.TrimSpace(r.trimmed("firstname") + " " + r.trimmed("lastname")),
		Avatar:   r.trimmed("photo_url__c"),
	}
	if s.deps.Emails != nil {
		email, err := s.deps.Emails.PrimaryEmail(ctx, normalizeSFID(strings.TrimSpace(sfid)))
		if err != nil {
			return nil, pipeline.Retry(err, 0)
		}
		u.Email = email
	}
	return u, nil
}

// b2bUser is an opportunity owner: a Salesforce staff user from the b2b
// tables in v1-objects, with no LFID username.
func (s *Stage) b2bUser(ctx context.Context, sfid string) (*UserInfo, error) {
	sfid = strings.TrimSpace(sfid)
	if sfid == "" {
		return nil, nil
	}
	r, ok, err := s.object(ctx, prefixB2BUser+"."+sfid)
	if err != nil || !ok {
		return nil, err
	}
	u := &UserInfo{
		Name:   strings.TrimSpace(r.trimmed("FirstName") + " " + r.trimmed("LastName")),
		Email:  r.trimmed("Email"),
		Avatar: r.trimmed("FullPhotoUrl"),
	}
	if u.Name == "" && u.Email == "" {
		return nil, nil
	}
	return u, nil
}
