// Package normalize applies V1_CHANGES events to the KV bucket v1-objects,
// the replica of v1 rows that the map stage and other LFX One services read.
// It keeps the prior art's key and value conventions and its rules: newer
// rows win, soft-deleted rows are never resurrected, backfill reads lose
// every race against live changes. Every write is a CAS on the key's revision.
package normalize

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/v1change"
	"github.com/linuxfoundation/v1sync/streams"
)

// DLQ reasons of this stage.
const (
	ReasonMalformed    pipeline.Reason = "malformed"
	ReasonUnknownTable pipeline.Reason = "unknown-table"
	// ReasonUnresolvedDelete: a DELETE without its v1-objects key.
	ReasonUnresolvedDelete pipeline.Reason = "unresolved-delete"
)

// Stage is the normalize stage.
type Stage struct {
	cfg     Config
	kv      jetstream.KeyValue
	now     func() time.Time
	written *lastWrites

	mu     sync.Mutex
	counts map[verdict]int64
}

// New returns the stage writing to kv (the v1-objects bucket).
func New(cfg Config, kv jetstream.KeyValue) (*Stage, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Stage{cfg: cfg, kv: kv, now: time.Now, counts: map[verdict]int64{},
		written: newLastWrites(cfg.LastWritesBytes)}, nil
}

// Name implements pipeline.Stage.
func (s *Stage) Name() string { return streams.StageNormalize }

// Handle applies one change. It publishes nothing: the map stage consumes
// the bucket's own stream.
func (s *Stage) Handle(ctx context.Context, in *pipeline.Message) ([]*pipeline.Message, error) {
	ev, err := v1change.Decode(in.Data)
	if err != nil {
		return nil, pipeline.Permanent(pipeline.WithReason(err, ReasonMalformed))
	}
	t, ok := v1change.Find(s.cfg.Tables, ev.Schema, ev.Table)
	if !ok {
		err := fmt.Errorf("normalize: change %q on %s.%s: table not captured", ev.ID, ev.Schema, ev.Table)
		return nil, pipeline.Permanent(pipeline.WithReason(err, ReasonUnknownTable))
	}
	if ev.Action == v1change.Truncate {
		// A TRUNCATE is not replayed as a mass delete: it is an
		// administrative act (often followed by a reload), and turning it
		// into a delete of every v2 object could not be undone.
		s.count(ackTruncate)
		return nil, nil
	}
	key, id, err := objectKey(t, ev)
	switch {
	case errors.Is(err, errNoKey):
		s.count(skipNoKey)
		return nil, nil
	case errors.Is(err, errUnresolvedDelete):
		return nil, pipeline.Permanent(pipeline.WithReason(fmt.Errorf("normalize: change %q: %w", ev.ID, err), ReasonUnresolvedDelete))
	case err != nil:
		return nil, pipeline.Permanent(pipeline.WithReason(fmt.Errorf("normalize: change %q: %w", ev.ID, err), ReasonMalformed))
	}
	if err := s.apply(ctx, t, ev, key, id); err != nil {
		return nil, &pipeline.KeyError{Stage: s.Name(), Key: key, Err: err}
	}
	return nil, nil
}

// apply writes the change against the key's known state when there is one
// (unread), else runs read-decide-write until the CAS write lands or the
// bound is hit.
func (s *Stage) apply(ctx context.Context, t v1change.Table, ev v1change.Event, key, id string) error {
	if cur, ok := s.known(ev, key); ok {
		if done, err := s.writeUnread(ctx, t, ev, key, id, cur); done || err != nil {
			return err
		}
	}
	for range s.cfg.MaxCASAttempts {
		cur, err := s.load(ctx, key)
		if err != nil {
			return err
		}
		row, v := s.plan(t, ev, id, cur)
		if row == nil {
			s.count(v)
			return nil
		}
		err = s.write(ctx, key, row, cur)
		if isConflict(err) {
			s.count(casConflict)
			continue
		}
		if err != nil {
			return fmt.Errorf("write: %w", err)
		}
		s.count(v)
		return nil
	}
	return pipeline.Retry(fmt.Errorf("%d CAS conflicts in a row", s.cfg.MaxCASAttempts), 0)
}

// known returns the key's state without reading it: this stage's last
// write of the key, or, for an INSERT, absent (the row is new in v1). Both
// are guesses that the CAS write verifies.
func (s *Stage) known(ev v1change.Event, key string) (stored, bool) {
	if w, ok := s.written.get(key); ok {
		return decodeStored(w.rev, w.value), true
	}
	return stored{}, ev.Action == v1change.Insert
}

// writeUnread applies the change against a guessed state. It reports false
// when the change must be decided on a fresh read instead: the guess was
// stale (CAS conflict), or it called for a skip, since skips are decided
// only on what the bucket holds.
func (s *Stage) writeUnread(ctx context.Context, t v1change.Table, ev v1change.Event, key, id string, cur stored) (bool, error) {
	row, v := s.plan(t, ev, id, cur)
	if row == nil {
		return false, nil
	}
	err := s.write(ctx, key, row, cur)
	if isConflict(err) {
		s.count(staleGuess)
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("write: %w", err)
	}
	s.count(v)
	return true, nil
}

// plan returns the value to write, or nil and why nothing is written.
func (s *Stage) plan(t v1change.Table, ev v1change.Event, id string, cur stored) (map[string]any, verdict) {
	now := s.now()
	if ev.Action == v1change.Delete {
		row, v := deletedRow(t, ev, id, cur)
		if row != nil {
			stamp(row, ev, now)
		}
		return row, v
	}
	row := incomingRow(ev, cur)
	if v := upsertVerdict(t, row, cur); v != write {
		return nil, v
	}
	stamp(row, ev, now)
	return row, write
}

func (s *Stage) load(ctx context.Context, key string) (stored, error) {
	e, err := s.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return stored{}, nil
	}
	if err != nil {
		return stored{}, fmt.Errorf("read: %w", err)
	}
	return decodeStored(e.Revision(), e.Value()), nil
}

// write stores row with a CAS on cur's revision and remembers it as the
// key's last write; a failed write forgets the key, whose state is then
// unknown.
func (s *Stage) write(ctx context.Context, key string, row map[string]any, cur stored) error {
	data, err := json.Marshal(row)
	if err != nil {
		return pipeline.Permanent(pipeline.WithReason(fmt.Errorf("encode row: %w", err), ReasonMalformed))
	}
	var rev uint64
	if !cur.exists {
		rev, err = s.kv.Create(ctx, key, data)
	} else {
		rev, err = s.kv.Update(ctx, key, data, cur.rev)
	}
	if err != nil {
		s.written.drop(key)
		return err
	}
	s.written.put(key, lastWrite{rev: rev, value: data})
	return nil
}

// isConflict tells a lost CAS race. A stale Update matches
// ErrKeyRevisionMismatch on every server version; a Create over a live key
// matches ErrKeyExists.
func isConflict(err error) bool {
	return errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists)
}

func (s *Stage) count(v verdict) {
	s.mu.Lock()
	s.counts[v]++
	s.mu.Unlock()
}

// Counts returns how many changes ended in each outcome ("written",
// "skipped-deleted", "truncate-ignored", "cas-conflict", ...), for status
// output and tests; the runner counts handled and failed messages itself.
func (s *Stage) Counts() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int64, len(s.counts))
	for v, n := range s.counts {
		out[string(v)] = n
	}
	return out
}
