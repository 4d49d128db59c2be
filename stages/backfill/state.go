package backfill

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/stages/v1change"
)

// Keys in the v1sync-state bucket.
const keyActive = "backfill.active"

func runKey(run string) string { return "backfill.run." + run }

func bookmarkKey(t v1change.Table) string { return "backfill.bookmark." + t.Schema + "." + t.Name }

// checkpoint is a run's progress, saved after every chunk whose rows all
// have PubAcks. The next chunk starts after LastPK, so a crash re-reads at
// most the chunk that was in flight.
type checkpoint struct {
	Run      string                    `json:"run"`
	Mode     string                    `json:"mode"`
	Tables   []string                  `json:"tables"`
	Started  time.Time                 `json:"started"`
	Finished *time.Time                `json:"finished,omitempty"`
	Progress map[string]*tableProgress `json:"progress"`

	rev uint64
}

type tableProgress struct {
	// Since is the lower bound on the timestamp columns; nil reads all rows.
	Since       *time.Time `json:"since,omitempty"`
	LastPK      string     `json:"lastPK,omitempty"`
	Rows        int64      `json:"rows"`
	Chunks      int64      `json:"chunks"`
	MaxModified *time.Time `json:"maxModified,omitempty"`
	Done        bool       `json:"done"`
}

// ErrRunTaken is returned when another process advanced the same run.
var ErrRunTaken = errors.New("backfill: another process is advancing this run")

type state struct{ kv jetstream.KeyValue }

// open resumes the unfinished run when it read the same tables in the same
// mode, and otherwise starts a new one.
func (s state) open(ctx context.Context, cfg Config, now time.Time) (*checkpoint, bool, error) {
	names := qualifiedNames(cfg.Tables)
	if cp, err := s.active(ctx); err != nil {
		return nil, false, err
	} else if cp != nil && cp.Mode == cfg.mode() && slices.Equal(cp.Tables, names) {
		return cp, true, nil
	}
	cp := &checkpoint{Run: newRunID(now), Mode: cfg.mode(), Tables: names, Started: now.UTC(),
		Progress: map[string]*tableProgress{}}
	data, _ := json.Marshal(cp)
	rev, err := s.kv.Create(ctx, runKey(cp.Run), data)
	if err != nil {
		return nil, false, fmt.Errorf("backfill: create run %s: %w", cp.Run, err)
	}
	cp.rev = rev
	if _, err := s.kv.PutString(ctx, keyActive, cp.Run); err != nil {
		return nil, false, fmt.Errorf("backfill: mark run %s active: %w", cp.Run, err)
	}
	return cp, false, nil
}

// active loads the checkpoint of the unfinished run, if any.
func (s state) active(ctx context.Context) (*checkpoint, error) {
	e, err := s.kv.Get(ctx, keyActive)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("backfill: read active run: %w", err)
	}
	run := string(e.Value())
	e, err = s.kv.Get(ctx, runKey(run))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("backfill: read run %s: %w", run, err)
	}
	var cp checkpoint
	if err := json.Unmarshal(e.Value(), &cp); err != nil || cp.Finished != nil {
		return nil, nil // unreadable or finished: start afresh
	}
	if cp.Progress == nil {
		cp.Progress = map[string]*tableProgress{}
	}
	cp.rev = e.Revision()
	return &cp, nil
}

// save writes the checkpoint with CAS, so two processes cannot both advance
// one run.
func (s state) save(ctx context.Context, cp *checkpoint) error {
	data, err := json.Marshal(cp)
	if err != nil {
		return err
	}
	rev, err := s.kv.Update(ctx, runKey(cp.Run), data, cp.rev)
	if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return fmt.Errorf("%w (run %s)", ErrRunTaken, cp.Run)
	}
	if err != nil {
		return fmt.Errorf("backfill: save checkpoint of run %s: %w", cp.Run, err)
	}
	cp.rev = rev
	return nil
}

// finish marks the run done and clears the active pointer.
func (s state) finish(ctx context.Context, cp *checkpoint, now time.Time) error {
	t := now.UTC()
	cp.Finished = &t
	if err := s.save(ctx, cp); err != nil {
		return err
	}
	if err := s.kv.Delete(ctx, keyActive); err != nil {
		return fmt.Errorf("backfill: clear active run: %w", err)
	}
	return nil
}

// bookmark returns a table's largest timestamp seen by finished reads.
func (s state) bookmark(ctx context.Context, t v1change.Table) (time.Time, bool, error) {
	e, err := s.kv.Get(ctx, bookmarkKey(t))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("backfill: read bookmark of %s: %w", t.QualifiedName(), err)
	}
	ts, err := time.Parse(time.RFC3339Nano, string(e.Value()))
	if err != nil {
		return time.Time{}, false, nil // unreadable bookmark: read the table in full
	}
	return ts, true, nil
}

// advanceBookmark moves a table's bookmark forward, never back.
func (s state) advanceBookmark(ctx context.Context, t v1change.Table, ts time.Time) error {
	old, ok, err := s.bookmark(ctx, t)
	if err != nil || (ok && !ts.After(old)) {
		return err
	}
	_, err = s.kv.PutString(ctx, bookmarkKey(t), ts.UTC().Format(time.RFC3339Nano))
	return err
}

func qualifiedNames(tables []v1change.Table) []string {
	out := make([]string, len(tables))
	for i, t := range tables {
		out[i] = t.QualifiedName()
	}
	return out
}

// newRunID is sortable by start time and unique across processes.
func newRunID(now time.Time) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}
