// Package walbridge is the stage that republishes wal-listener's events
// (stream wal_listener) into V1_CHANGES, for sites that already run
// wal-listener instead of v1sync's native capture. Downstream, its events are
// the native ones: same fields, same v1-objects key, same id index for
// deletes that carry only the primary key.
package walbridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/ingest"
	"github.com/linuxfoundation/v1sync/stages/v1change"
	"github.com/linuxfoundation/v1sync/streams"
)

// DLQ reasons of the bridge.
const (
	ReasonMalformed    pipeline.Reason = "malformed"
	ReasonUnknownTable pipeline.Reason = "unknown-table"
	// ReasonDeleteKey: a DELETE without the key column whose primary key is
	// not in the id index. Dead-lettered (not dropped) so an operator can
	// redrive it after fixing the index or the replica identity.
	ReasonDeleteKey pipeline.Reason = "delete-key-unknown"
)

// IDPrefix makes bridge ids distinct from native ones ("<lsn>-<n>").
const IDPrefix = "wl:"

// Config of the bridge.
type Config struct {
	Tables     []v1change.Table
	Partitions int
}

// DefaultConfig bridges the default table set.
func DefaultConfig() Config {
	return Config{Tables: v1change.DefaultTables(), Partitions: streams.DefaultConfig().Partitions}
}

// Validate reports settings that cannot work.
func (c Config) Validate() error {
	var errs []error
	if len(c.Tables) == 0 {
		errs = append(errs, errors.New("walbridge: no tables configured"))
	}
	if c.Partitions < 1 {
		errs = append(errs, fmt.Errorf("walbridge: partitions %d: want at least 1", c.Partitions))
	}
	return errors.Join(errs...)
}

// Stage converts one wal-listener event into one V1_CHANGES event.
type Stage struct {
	cfg   Config
	state jetstream.KeyValue // the id index lives in v1sync-state
}

// New builds the stage; state is the v1sync-state bucket.
func New(cfg Config, state jetstream.KeyValue) (*Stage, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if state == nil {
		return nil, errors.New("walbridge: v1sync-state bucket required")
	}
	return &Stage{cfg: cfg, state: state}, nil
}

// Name is the stage and consumer name.
func (s *Stage) Name() string { return streams.StageWALBridge }

// walEvent is wal-listener's JSON event.
type walEvent struct {
	ID         string         `json:"id"`
	Schema     string         `json:"schema"`
	Table      string         `json:"table"`
	Action     string         `json:"action"`
	Data       map[string]any `json:"data"`
	DataOld    map[string]any `json:"dataOld"`
	CommitTime time.Time      `json:"commitTime"`
}

// Handle republishes the event, plus an id index entry when a row is written.
func (s *Stage) Handle(ctx context.Context, in *pipeline.Message) ([]*pipeline.Message, error) {
	ev, t, err := s.convert(in.Data)
	if err != nil {
		return nil, err
	}
	outs, err := s.resolveKey(ctx, t, &ev)
	if err != nil {
		return nil, err
	}
	if ev.Action == v1change.Truncate {
		ev.Key = ""
	}
	data, err := ev.Encode()
	if err != nil {
		return nil, pipeline.WithReason(pipeline.Permanent(fmt.Errorf("walbridge: encode %s: %w", ev.ID, err)), ReasonMalformed)
	}
	order := ev.Key
	if order == "" {
		order = t.Prefix()
	}
	msg := pipeline.NewMessage(streams.V1ChangeSubject(t.Schema, t.Name, order, s.cfg.Partitions), data)
	msg.Header.Set(streams.HeaderMsgID, ev.ID)
	msg.Header.Set(streams.HeaderKey, order)
	return append([]*pipeline.Message{msg}, outs...), nil
}

// convert decodes and checks a wal-listener event.
func (s *Stage) convert(data []byte) (v1change.Event, v1change.Table, error) {
	malformed := func(format string, args ...any) error {
		return pipeline.WithReason(pipeline.Permanent(fmt.Errorf("walbridge: "+format, args...)), ReasonMalformed)
	}
	var w walEvent
	if err := json.Unmarshal(data, &w); err != nil {
		return v1change.Event{}, v1change.Table{}, malformed("unparseable event: %v", err)
	}
	if w.ID == "" || w.Schema == "" || w.Table == "" || w.Action == "" {
		return v1change.Event{}, v1change.Table{}, malformed("event %q lacks id, schema, table or action", w.ID)
	}
	t, ok := v1change.Find(s.cfg.Tables, w.Schema, w.Table)
	if !ok {
		return v1change.Event{}, v1change.Table{}, pipeline.WithReason(pipeline.Permanent(
			fmt.Errorf("walbridge: event %s: table %s.%s is not captured", w.ID, w.Schema, w.Table)), ReasonUnknownTable)
	}
	ev := v1change.Event{
		ID: IDPrefix + w.ID, Schema: w.Schema, Table: w.Table, Action: v1change.Action(strings.ToUpper(w.Action)),
		Data: w.Data, DataOld: w.DataOld, CommitTime: w.CommitTime.UTC(),
	}
	if ev.Action == v1change.Read {
		return ev, t, malformed("event %s: action %s is not a WAL action", w.ID, w.Action)
	}
	if err := ev.Validate(); err != nil {
		return ev, t, malformed("%v", err)
	}
	return ev, t, nil
}

// resolveKey sets the v1-objects key as native capture does, and returns the
// id index entry of a written row.
func (s *Stage) resolveKey(ctx context.Context, t v1change.Table, ev *v1change.Event) ([]*pipeline.Message, error) {
	row := ev.Data
	if row == nil {
		row = ev.DataOld
	}
	pk := valueString(row[t.PrimaryKey])
	key := valueString(ev.Data[t.KeyColumn])
	if key == "" {
		key = valueString(ev.DataOld[t.KeyColumn])
	}
	if key == "" && ev.Action == v1change.Delete {
		found, err := s.lookup(ctx, t, pk)
		if err != nil {
			return nil, err
		}
		if found == "" {
			return nil, pipeline.WithReason(pipeline.Permanent(fmt.Errorf("walbridge: delete %s on %s: no %s and %s %q is not in the id index; ALTER TABLE %s REPLICA IDENTITY FULL avoids this",
				ev.ID, t.QualifiedName(), t.KeyColumn, t.PrimaryKey, pk, t.QualifiedName())), ReasonDeleteKey)
		}
		key = found
	}
	if key == "" {
		return nil, nil // no key yet (Heroku Connect assigns sfid later); normalize skips it
	}
	ev.Key = v1change.ObjectKey(t.Schema, t.Name, key)
	if ev.Data == nil || pk == "" {
		return nil, nil
	}
	// Written on every insert and update: a cache of "already indexed" would
	// survive a failed publish and skip the entry on redelivery.
	return []*pipeline.Message{pipeline.NewMessage(ingest.IDIndexSubject(t.Prefix(), pk), []byte(key))}, nil
}

func (s *Stage) lookup(ctx context.Context, t v1change.Table, pk string) (string, error) {
	if pk == "" {
		return "", nil
	}
	e, err := s.state.Get(ctx, ingest.IDIndexKey(t.Prefix(), pk))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("walbridge: id index %s.%s: %w", t.Prefix(), pk, err)
	}
	return string(e.Value()), nil
}

func valueString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		// JSON numbers: an integer id must print as "12", not "1.2e+01".
		if x == float64(int64(x)) {
			return fmt.Sprintf("%d", int64(x))
		}
	}
	return fmt.Sprint(v)
}
