package pipeline

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// groupLiveness tracks the heartbeats of a group's members in the members
// bucket. Ages are measured on the server's timestamps of the heartbeat
// writes ("now" is the newest timestamp seen), so neither clock skew between
// hosts nor a stall of this process makes a live member look dead.
type groupLiveness struct {
	kv        jetstream.KeyValue
	prefix    string // "<group stream>."
	me        string
	deadAfter time.Duration
	watcher   jetstream.KeyWatcher

	mu      sync.Mutex
	seen    map[string]time.Time // member -> server time of its last heartbeat
	missing map[string]time.Time // member without heartbeat -> when first noticed
	now     time.Time            // newest server timestamp seen
	mine    bool                 // our own heartbeat has come back

	lease *memberLease // ours, renewed by beat
}

func watchLiveness(ctx context.Context, kv jetstream.KeyValue, groupStream, me string, deadAfter time.Duration) (*groupLiveness, error) {
	l := &groupLiveness{kv: kv, prefix: groupStream + ".", me: me, deadAfter: deadAfter,
		seen: map[string]time.Time{}, missing: map[string]time.Time{}, lease: &memberLease{deadAfter: deadAfter}}
	w, err := kv.Watch(ctx, l.prefix+"*")
	if err != nil {
		return nil, err
	}
	l.watcher = w
	go l.follow()
	return l, nil
}

// follow applies heartbeat updates until the watcher stops.
func (l *groupLiveness) follow() {
	for e := range l.watcher.Updates() {
		if e == nil { // end of the initial values
			continue
		}
		member := strings.TrimPrefix(e.Key(), l.prefix)
		l.mu.Lock()
		if e.Created().After(l.now) {
			l.now = e.Created()
		}
		switch e.Operation() {
		case jetstream.KeyValuePut:
			l.seen[member] = e.Created()
			delete(l.missing, member)
			l.mine = l.mine || member == l.me
		default: // deleted or purged: an eviction or a graceful leave
			delete(l.seen, member)
		}
		l.mu.Unlock()
	}
}

// beat writes our heartbeat and, once it is stored, renews our lease.
func (l *groupLiveness) beat(ctx context.Context) error {
	sent := time.Now()
	if _, err := l.kv.PutString(ctx, l.prefix+l.me, sent.UTC().Format(time.RFC3339Nano)); err != nil {
		return err
	}
	l.lease.confirmed(sent)
	return nil
}

// forget deletes member's heartbeat (after its eviction or our leave).
func (l *groupLiveness) forget(ctx context.Context, member string) error {
	return l.kv.Delete(ctx, l.prefix+member)
}

// dead returns the members other than us whose heartbeat is older than
// deadAfter. A member with no heartbeat at all gets deadAfter from when we
// first noticed, since its first heartbeat may still be on its way to us.
func (l *groupLiveness) dead(members []string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.mine { // our clock ("now") is not running yet
		return nil
	}
	for m := range l.missing {
		if !slices.Contains(members, m) {
			delete(l.missing, m)
		}
	}
	var dead []string
	for _, m := range members {
		if m == l.me {
			continue
		}
		last, ok := l.seen[m]
		if !ok {
			if last, ok = l.missing[m]; !ok {
				l.missing[m] = l.now
				continue
			}
		}
		if l.now.Sub(last) > l.deadAfter {
			dead = append(dead, m)
		}
	}
	return dead
}

func (l *groupLiveness) stop() { _ = l.watcher.Stop() }
