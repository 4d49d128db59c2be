package normalize

import (
	"errors"
	"fmt"
	"strings"

	"github.com/linuxfoundation/v1sync/stages/v1change"
)

// errNoKey marks a row that has no v1 id yet (Heroku Connect inserts rows
// before Salesforce assigns their sfid; a later UPDATE carries it). Such a
// row has no v1-objects key and is skipped, not dead-lettered.
var errNoKey = errors.New("row has no key value")

// errUnresolvedDelete marks a DELETE whose row capture could not name: it
// is dead-lettered under its own reason so an operator can find, fix
// (REPLICA IDENTITY FULL, or a backfill) and redrive exactly these.
var errUnresolvedDelete = errors.New("unresolved delete")

// objectKey returns the event's v1-objects key and the row id in it.
func objectKey(t v1change.Table, ev v1change.Event) (key, id string, err error) {
	if ev.Key != "" {
		prefix, id := v1change.SplitObjectKey(ev.Key)
		id = keyToken(id)
		if prefix != t.Prefix() || !validID(id) {
			return "", "", fmt.Errorf("key %q does not belong to %s", ev.Key, t.QualifiedName())
		}
		return v1change.ObjectKey(t.Schema, t.Name, id), id, nil
	}
	row := ev.Data
	if ev.Action == v1change.Delete {
		row = ev.DataOld
	}
	v, present := row[t.KeyColumn]
	if !present && ev.Action == v1change.Delete {
		// Under the default replica identity the old image holds only the
		// primary key: capture must resolve the key, or the delete is lost.
		return "", "", fmt.Errorf("%w: delete on %s carries neither a key nor %s (replica identity?)", errUnresolvedDelete, t.QualifiedName(), t.KeyColumn)
	}
	if v == nil || fmt.Sprint(v) == "" {
		return "", "", errNoKey
	}
	id = keyToken(fmt.Sprint(v))
	if !validID(id) {
		return "", "", fmt.Errorf("%s %q of %s is not a valid key token", t.KeyColumn, id, t.QualifiedName())
	}
	return v1change.ObjectKey(t.Schema, t.Name, id), id, nil
}

// keyToken applies the loader's one rewrite: ':' (composite uuid:slug
// values) is not allowed in a KV key and becomes '_'; the row keeps it.
func keyToken(s string) string { return strings.ReplaceAll(s, ":", "_") }

// validID accepts what a KV key token may hold (letters, digits, -, _, =,
// /); the loader also refused dots, which would split the id.
func validID(id string) bool {
	if id == "" {
		return false
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '=' || r == '/'
		if !ok {
			return false
		}
	}
	return true
}
