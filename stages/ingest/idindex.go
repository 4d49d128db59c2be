package ingest

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/streams"
)

// Under PostgreSQL's default replica identity a DELETE carries only the
// primary key, not the key column of the v1-objects key. The id index maps
// "<schema>-<table>.<primary key>" to the key column's value; it lives in KV
// v1sync-state so it survives restarts and serves both native capture and
// the wal-listener bridge.

// IDIndexKey is the v1sync-state key of a row's index entry.
func IDIndexKey(prefix, primaryKey string) string {
	return "ingest.idkey." + prefix + "." + primaryKey
}

// IDIndexSubject is the KV stream subject an index entry is published to.
func IDIndexSubject(prefix, primaryKey string) string {
	return streams.KVSubject(streams.BucketState, IDIndexKey(prefix, primaryKey))
}

// idIndex caches entries this process wrote or read, so that updates do not
// rewrite an unchanged entry. The cache is bounded by resetting it.
type idIndex struct {
	kv    jetstream.KeyValue
	mu    sync.Mutex
	cache map[string]string
	limit int
}

func newIDIndex(kv jetstream.KeyValue) *idIndex {
	return &idIndex{kv: kv, cache: map[string]string{}, limit: 200_000}
}

// needsWrite reports whether prefix.pk → keyValue is not yet known to be stored.
func (x *idIndex) needsWrite(prefix, pk, keyValue string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.cache[prefix+"."+pk] != keyValue
}

// remember records an entry known to be stored (or being stored).
func (x *idIndex) remember(prefix, pk, keyValue string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if len(x.cache) >= x.limit {
		x.cache = map[string]string{}
	}
	x.cache[prefix+"."+pk] = keyValue
}

// lookup returns the key column's value for prefix.pk, "" when unknown.
func (x *idIndex) lookup(ctx context.Context, prefix, pk string) (string, error) {
	x.mu.Lock()
	v, ok := x.cache[prefix+"."+pk]
	x.mu.Unlock()
	if ok {
		return v, nil
	}
	e, err := x.kv.Get(ctx, IDIndexKey(prefix, pk))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("id index %s.%s: %w", prefix, pk, err)
	}
	x.remember(prefix, pk, string(e.Value()))
	return string(e.Value()), nil
}
