package idmap

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// ErrClaimed is returned by Claim when the key already has a value.
var ErrClaimed = errors.New("idmap: key already claimed")

// Entry is one stored mapping.
type Entry struct {
	Value    string
	Revision uint64
}

// Tombstoned reports whether the entry marks a deleted object.
func (e Entry) Tombstoned() bool { return IsTombstone(e.Value) }

// Pending reports whether the entry is a claim whose create has not been
// confirmed.
func (e Entry) Pending() bool { return e.Value == Pending }

// Live reports whether the entry maps to a usable id: not empty, not a
// tombstone, not a pending claim.
func (e Entry) Live() bool { return e.Value != "" && !e.Tombstoned() && !e.Pending() }

// IDMap reads and writes the v1-mappings bucket.
type IDMap struct {
	kv jetstream.KeyValue
}

// New returns an IDMap over the v1-mappings bucket.
func New(kv jetstream.KeyValue) *IDMap { return &IDMap{kv: kv} }

// Get returns the entry for key; found is false when the key has no value
// (never written, deleted or purged).
func (m *IDMap) Get(ctx context.Context, key string) (e Entry, found bool, err error) {
	kve, err := m.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return Entry{}, false, nil
	}
	if err != nil {
		return Entry{}, false, fmt.Errorf("idmap get %s: %w", key, err)
	}
	return Entry{Value: string(kve.Value()), Revision: kve.Revision()}, true, nil
}

// Live returns the value of key when it maps to a usable id, else "".
func (m *IDMap) Live(ctx context.Context, key string) (string, error) {
	e, found, err := m.Get(ctx, key)
	if err != nil || !found || !e.Live() {
		return "", err
	}
	return e.Value, nil
}

// Claim stores Pending under key only if the key has no value, so that two
// writers can never both create the same v1 object in v2.
func (m *IDMap) Claim(ctx context.Context, key string) (uint64, error) {
	rev, err := m.kv.Create(ctx, key, []byte(Pending))
	if errors.Is(err, jetstream.ErrKeyExists) {
		return 0, ErrClaimed
	}
	if err != nil {
		return 0, fmt.Errorf("idmap claim %s: %w", key, err)
	}
	return rev, nil
}

// Own makes key, the reverse key of a v2 object, name value, unless it
// already names another live v1 record (sameOwner reports whether a stored
// value names the same one): it then returns that value and changes
// nothing. Two v1 rows with one natural key (a duplicate email in a
// committee) can both reach the same v2 object, one by creating it and one
// by adopting it; owning the reverse key first lets only one map to it.
func (m *IDMap) Own(ctx context.Context, key, value string, sameOwner func(stored string) bool) (other string, err error) {
	for range maxOwnAttempts {
		e, found, err := m.Get(ctx, key)
		switch {
		case err != nil:
			return "", err
		case found && e.Live() && !sameOwner(e.Value):
			return e.Value, nil
		case found && e.Value == value:
			return "", nil
		case found:
			_, err = m.kv.Update(ctx, key, []byte(value), e.Revision)
		default:
			_, err = m.kv.Create(ctx, key, []byte(value))
		}
		if err == nil {
			return "", nil
		}
		if !isWrongRevision(err) {
			return "", fmt.Errorf("idmap own %s: %w", key, err)
		}
	}
	return "", fmt.Errorf("idmap own %s: still contended after %d attempts", key, maxOwnAttempts)
}

// maxOwnAttempts bounds the compare-and-set rounds of Own; each lost round
// means another writer changed the key, which is rare.
const maxOwnAttempts = 5

func isWrongRevision(err error) bool {
	var apiErr *jetstream.APIError
	return errors.Is(err, jetstream.ErrKeyExists) ||
		errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence
}

// Put stores value under key.
func (m *IDMap) Put(ctx context.Context, key, value string) error {
	if _, err := m.kv.Put(ctx, key, []byte(value)); err != nil {
		return fmt.Errorf("idmap put %s: %w", key, err)
	}
	return nil
}

// Tombstone marks every key as deleted.
func (m *IDMap) Tombstone(ctx context.Context, keys ...string) error {
	for _, k := range keys {
		if err := m.Put(ctx, k, Tombstone); err != nil {
			return err
		}
	}
	return nil
}
