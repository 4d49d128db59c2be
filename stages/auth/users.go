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
// salesforce-merged_user rows), so the write stage needs no database access.
type ObjectsDirectory struct {
	kv jetstream.KeyValue
}

// NewObjectsDirectory reads users from the v1-objects bucket kv.
func NewObjectsDirectory(kv jetstream.KeyValue) *ObjectsDirectory { return &ObjectsDirectory{kv: kv} }

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
	for _, k := range []string{"primary_email", "email", "email__c"} {
		if v := strings.TrimSpace(str(row[k])); v != "" {
			u.Email = v
			break
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
