package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/vmihailenco/msgpack/v5"
)

// ObjectsDirectory looks v1 users up in the v1-objects bucket (the
// salesforce-merged_user rows). A user's primary email is kept in other
// rows (alternate_email__c), so it comes from an EmailDirectory when one is
// configured; without one the token carries no email.
type ObjectsDirectory struct {
	kv     jetstream.KeyValue
	emails EmailDirectory
}

// EmailDirectory finds the primary email of a v1 user ("" when none).
type EmailDirectory interface {
	PrimaryEmail(ctx context.Context, userSFID string) (string, error)
}

// NewObjectsDirectory reads users from the v1-objects bucket kv and their
// emails from emails, which may be nil.
func NewObjectsDirectory(kv jetstream.KeyValue, emails EmailDirectory) *ObjectsDirectory {
	return &ObjectsDirectory{kv: kv, emails: emails}
}

// MergedUserKey is the v1-objects key of a merged_user row.
func MergedUserKey(sfid string) string { return "salesforce-merged_user." + sfid }

// LookupUser returns the user's username and, when the row carries one, its
// primary email.
func (d *ObjectsDirectory) LookupUser(ctx context.Context, sfid string) (User, bool, error) {
	e, err := d.kv.Get(ctx, MergedUserKey(sfid))
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return User{}, false, nil
	}
	if err != nil {
		return User{}, false, fmt.Errorf("auth: user %s: %w", sfid, err)
	}
	row := decodeRow(e.Value())
	if row == nil {
		return User{}, false, nil
	}
	if deleted(row) {
		return User{}, false, nil
	}
	u := User{Username: strings.TrimSpace(str(row["username__c"]))}
	if d.emails != nil {
		// The email claim is optional: a failed lookup leaves it out rather
		// than demoting the caller to the service principal.
		if email, err := d.emails.PrimaryEmail(ctx, sfid); err == nil {
			u.Email = strings.TrimSpace(email)
		}
	}
	return u, true, nil
}

// decodeRow reads a v1-objects value, JSON or msgpack (the prior art's
// writers use both); nil when it is neither.
func decodeRow(data []byte) map[string]any {
	var row map[string]any
	if len(data) == 0 {
		return nil
	}
	if json.Unmarshal(data, &row) == nil {
		return row
	}
	if msgpack.Unmarshal(data, &row) == nil {
		return row
	}
	return nil
}

func deleted(row map[string]any) bool {
	if b, ok := row["isdeleted"].(bool); ok && b {
		return true
	}
	return str(row["_sdc_deleted_at"]) != ""
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
