package v2sim

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// cachedKV serves Gets from memory so that the simulator is not the
// bottleneck of the benchmarks that use it. It stays exact for its own
// writes (updated before the write returns, newest revision wins) and
// follows other writers to the same bucket through a watcher. A deleted
// key is never cached again: its delete revision is unknown, so ordering
// it against concurrent writes would be guesswork.
type cachedKV struct {
	jetstream.KeyValue
	mu      sync.RWMutex
	entries map[string]cacheEntry
}

type cacheEntry struct {
	rev    uint64
	value  []byte
	absent bool // known not to exist at rev
	bypass bool // deleted once: always read through
}

func newCachedKV(kv jetstream.KeyValue) *cachedKV {
	return &cachedKV{KeyValue: kv, entries: make(map[string]cacheEntry)}
}

func (c *cachedKV) Get(ctx context.Context, key string) (jetstream.KeyValueEntry, error) {
	c.mu.RLock()
	e, ok := c.entries[key]
	c.mu.RUnlock()
	switch {
	case ok && e.bypass:
		return c.KeyValue.Get(ctx, key)
	case ok && e.absent:
		return nil, jetstream.ErrKeyNotFound
	case ok:
		return cachedEntry{bucket: c.Bucket(), key: key, e: e}, nil
	}
	got, err := c.KeyValue.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		c.store(key, cacheEntry{absent: true})
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	c.store(key, cacheEntry{rev: got.Revision(), value: got.Value()})
	return got, nil
}

// store keeps e unless a newer revision (or a bypass) is already there.
func (c *cachedKV) store(key string, e cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[key]; ok && (old.bypass || old.rev >= e.rev) && !e.bypass {
		return
	}
	c.entries[key] = e
}

func (c *cachedKV) Put(ctx context.Context, key string, value []byte) (uint64, error) {
	rev, err := c.KeyValue.Put(ctx, key, value)
	if err == nil {
		c.store(key, cacheEntry{rev: rev, value: value})
	}
	return rev, err
}

func (c *cachedKV) Create(ctx context.Context, key string, value []byte, opts ...jetstream.KVCreateOpt) (uint64, error) {
	rev, err := c.KeyValue.Create(ctx, key, value, opts...)
	if err == nil {
		c.store(key, cacheEntry{rev: rev, value: value})
	}
	return rev, err
}

func (c *cachedKV) Update(ctx context.Context, key string, value []byte, last uint64) (uint64, error) {
	rev, err := c.KeyValue.Update(ctx, key, value, last)
	if err == nil {
		c.store(key, cacheEntry{rev: rev, value: value})
	}
	return rev, err
}

func (c *cachedKV) Delete(ctx context.Context, key string, opts ...jetstream.KVDeleteOpt) error {
	err := c.KeyValue.Delete(ctx, key, opts...)
	if err == nil {
		c.store(key, cacheEntry{bypass: true})
	}
	return err
}

// follow applies other writers' changes until ctx ends.
func (c *cachedKV) follow(ctx context.Context) error {
	w, err := c.KeyValue.WatchAll(ctx, jetstream.UpdatesOnly())
	if err != nil {
		return err
	}
	go func() {
		defer func() { _ = w.Stop() }()
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-w.Updates():
				if !ok {
					return
				}
				c.apply(e)
			}
		}
	}()
	return nil
}

func (c *cachedKV) apply(e jetstream.KeyValueEntry) {
	if e == nil {
		return
	}
	if e.Operation() != jetstream.KeyValuePut {
		c.store(e.Key(), cacheEntry{bypass: true})
		return
	}
	c.store(e.Key(), cacheEntry{rev: e.Revision(), value: e.Value()})
}

// cachedEntry is a KeyValueEntry served from the cache.
type cachedEntry struct {
	bucket, key string
	e           cacheEntry
}

func (c cachedEntry) Bucket() string                  { return c.bucket }
func (c cachedEntry) Key() string                     { return c.key }
func (c cachedEntry) Value() []byte                   { return c.e.value }
func (c cachedEntry) Revision() uint64                { return c.e.rev }
func (c cachedEntry) Created() time.Time              { return time.Time{} }
func (c cachedEntry) Delta() uint64                   { return 0 }
func (c cachedEntry) Operation() jetstream.KeyValueOp { return jetstream.KeyValuePut }

// forget drops every cached entry; the next Gets read through.
func (c *cachedKV) forget() {
	c.mu.Lock()
	clear(c.entries)
	c.mu.Unlock()
}
