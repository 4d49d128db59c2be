package normalize

import "sync"

// lastWrites remembers, per key, the revision and value this stage last
// stored, so the next change of a busy key can be decided and CAS-written
// without reading the key back first. An entry is exactly what a read would
// return if nobody wrote the key since; the CAS write checks precisely that,
// so a stale entry costs one conflict and a fresh read, never a wrong write.
//
// It is bounded by the bytes of the values it holds: two generations, the
// older dropped whole when the newer fills half the budget (an LRU without
// per-entry bookkeeping).
type lastWrites struct {
	maxBytes int

	mu        sync.Mutex
	cur, prev map[string]lastWrite
	curBytes  int
}

type lastWrite struct {
	rev   uint64
	value []byte
}

func newLastWrites(maxBytes int) *lastWrites {
	return &lastWrites{maxBytes: maxBytes, cur: map[string]lastWrite{}, prev: map[string]lastWrite{}}
}

// get returns the key's last write; a hit is moved to the newer generation.
func (c *lastWrites) get(key string) (lastWrite, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if w, ok := c.cur[key]; ok {
		return w, true
	}
	w, ok := c.prev[key]
	if ok {
		delete(c.prev, key)
		c.add(key, w)
	}
	return w, ok
}

// put remembers w as the key's last write; a value too big for the budget
// is not kept.
func (c *lastWrites) put(key string, w lastWrite) {
	if len(key)+len(w.value) > c.maxBytes/2 {
		c.drop(key)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.prev, key)
	if old, ok := c.cur[key]; ok {
		c.curBytes -= len(key) + len(old.value)
	}
	c.add(key, w)
}

// drop forgets a key whose stored state is no longer known: after a
// conflict, or a write whose outcome is unknown.
func (c *lastWrites) drop(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.cur[key]; ok {
		c.curBytes -= len(key) + len(old.value)
		delete(c.cur, key)
	}
	delete(c.prev, key)
}

// add stores w in the newer generation. Callers hold c.mu.
func (c *lastWrites) add(key string, w lastWrite) {
	if c.curBytes+len(key)+len(w.value) > c.maxBytes/2 {
		c.prev, c.cur, c.curBytes = c.cur, map[string]lastWrite{}, 0
	}
	c.cur[key] = w
	c.curBytes += len(key) + len(w.value)
}
