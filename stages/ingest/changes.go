package ingest

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/v1change"
	"github.com/linuxfoundation/v1sync/streams"
)

func (s *Source) table(qualified string) v1change.Table {
	for _, t := range s.cfg.Tables {
		if t.QualifiedName() == qualified {
			return t
		}
	}
	return v1change.Table{}
}

// change turns one DML message into events on V1_CHANGES.
func (s *session) change(ctx context.Context, msg pglogrepl.Message) error {
	tx := s.tx
	tx.ordinal++
	if tx.skip {
		return nil
	}
	if m, ok := msg.(*pglogrepl.TruncateMessage); ok {
		return s.truncate(ctx, m)
	}
	ev, rel, err := s.event(msg)
	if err != nil || rel == nil {
		return err
	}
	t, ok := v1change.Find(s.src.cfg.Tables, rel.Namespace, rel.RelationName)
	if !ok {
		return nil // in the publication but not configured: not ours
	}
	if err := s.resolveKey(ctx, t, &ev); err != nil {
		return err
	}
	return s.publishEvent(ctx, ev, ev.Key)
}

// event decodes an INSERT, UPDATE or DELETE; rel is nil for a relation we
// have no metadata for, which pgoutput never does within a session.
func (s *session) event(msg pglogrepl.Message) (v1change.Event, *pglogrepl.RelationMessage, error) {
	var relID uint32
	var action v1change.Action
	var newT, oldT *pglogrepl.TupleData
	var oldType uint8
	switch m := msg.(type) {
	case *pglogrepl.InsertMessage:
		relID, action, newT = m.RelationID, v1change.Insert, m.Tuple
	case *pglogrepl.UpdateMessage:
		relID, action, newT, oldT, oldType = m.RelationID, v1change.Update, m.NewTuple, m.OldTuple, m.OldTupleType
	case *pglogrepl.DeleteMessage:
		relID, action, oldT, oldType = m.RelationID, v1change.Delete, m.OldTuple, m.OldTupleType
	}
	rel, ok := s.relations[relID]
	if !ok {
		return v1change.Event{}, nil, fmt.Errorf("ingest: change for unknown relation %d", relID)
	}
	ev := s.newEvent(rel.Namespace, rel.RelationName, action)
	var err error
	if ev.Data, ev.UnchangedToast, err = s.decoder.decode(rel, newT); err != nil {
		return ev, nil, fmt.Errorf("ingest: %s: %w", ev.ID, err)
	}
	if ev.DataOld, _, err = s.decoder.decode(rel, oldT); err != nil {
		return ev, nil, fmt.Errorf("ingest: %s: %w", ev.ID, err)
	}
	if oldType == pglogrepl.UpdateMessageTupleTypeKey {
		keyColumnsOnly(rel, ev.DataOld)
	}
	return ev, rel, nil
}

func (s *session) newEvent(schema, table string, action v1change.Action) v1change.Event {
	b := s.tx.begin
	return v1change.Event{
		ID:     fmt.Sprintf("%s-%d", b.FinalLSN, s.tx.ordinal),
		Schema: schema, Table: table, Action: action,
		CommitTime: b.CommitTime.UTC(), LSN: b.FinalLSN.String(),
	}
}

// resolveKey sets ev.Key from the key column, or for a DELETE without it,
// from the id index; it also keeps the index current for tables that need it.
func (s *session) resolveKey(ctx context.Context, t v1change.Table, ev *v1change.Event) error {
	row := ev.Data
	if row == nil {
		row = ev.DataOld
	}
	pk := valueString(row[t.PrimaryKey])
	key := valueString(ev.Data[t.KeyColumn])
	if key == "" {
		key = valueString(ev.DataOld[t.KeyColumn])
	}
	indexed := s.prep.indexed[t.QualifiedName()]
	if key == "" && indexed && pk != "" {
		var err error
		if key, err = s.index.lookup(ctx, t.Prefix(), pk); err != nil {
			return err
		}
	}
	if key == "" {
		if ev.Action == v1change.Delete {
			s.src.metrics.unresolved.Add(ctx, 1)
			s.src.log.Error().Str(pipeline.FieldTable, t.QualifiedName()).Str(fieldPrimaryKey, pk).Str(pipeline.FieldMsgID, ev.ID).
				Msgf("delete without %s and no id index entry: published without a key; run ALTER TABLE %s REPLICA IDENTITY FULL;", t.KeyColumn, tableIdent(t))
		}
		return nil
	}
	ev.Key = v1change.ObjectKey(t.Schema, t.Name, key)
	if indexed && ev.Data != nil && pk != "" && s.index.needsWrite(t.Prefix(), pk, key) {
		if err := s.publish(ctx, IDIndexSubject(t.Prefix(), pk), nil, []byte(key), false); err != nil {
			return err
		}
		s.index.remember(t.Prefix(), pk, key)
	}
	return nil
}

// truncate publishes one TRUNCATE event per configured relation.
func (s *session) truncate(ctx context.Context, m *pglogrepl.TruncateMessage) error {
	for _, id := range m.RelationIDs {
		rel, ok := s.relations[id]
		if !ok {
			return fmt.Errorf("ingest: truncate of unknown relation %d", id)
		}
		t, ok := v1change.Find(s.src.cfg.Tables, rel.Namespace, rel.RelationName)
		if !ok {
			continue
		}
		ev := s.newEvent(t.Schema, t.Name, v1change.Truncate)
		ev.ID = fmt.Sprintf("%s.%d", ev.ID, id) // one transaction position, several tables
		if err := s.publishEvent(ctx, ev, t.Prefix()); err != nil {
			return err
		}
	}
	return nil
}

func (s *session) publishEvent(ctx context.Context, ev v1change.Event, orderKey string) error {
	data, err := ev.Encode()
	if err != nil {
		return fmt.Errorf("ingest: encode %s: %w", ev.ID, err)
	}
	if orderKey == "" {
		orderKey = ev.Schema + "-" + ev.Table
	}
	h := nats.Header{}
	h.Set(streams.HeaderMsgID, ev.ID)
	h.Set(streams.HeaderLSN, ev.LSN)
	h.Set(streams.HeaderKey, orderKey)
	subj := streams.V1ChangeSubject(ev.Schema, ev.Table, orderKey, s.src.cfg.Partitions)
	return s.publish(ctx, subj, h, data, true)
}

// publish sends asynchronously and hands the future to the acker; the
// transaction cannot be confirmed until the acker has seen it stored.
func (s *session) publish(ctx context.Context, subj string, h nats.Header, data []byte, change bool) error {
	msg := &nats.Msg{Subject: subj, Header: h, Data: data}
	opts := []jetstream.PublishOpt{jetstream.WithStallWait(s.src.cfg.PublishStallWait)}
	if id := h.Get(streams.HeaderMsgID); id != "" {
		opts = append(opts, jetstream.WithMsgID(id))
	}
	f, err := s.src.js.PublishMsgAsync(msg, opts...)
	if err != nil {
		return fmt.Errorf("ingest: publish to %s: %w", subj, err)
	}
	s.tracker.publishing(s.tx.entry)
	select {
	case s.acks <- pendingAck{entry: s.tx.entry, future: f, commit: s.tx.begin.CommitTime, change: change}:
		return nil
	case err := <-s.failed:
		return err
	case <-s.ackerDone:
		return fmt.Errorf("ingest: acker stopped")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// keyColumnsOnly drops the nulls pgoutput sends for the columns outside the
// replica identity key: they are unknown, not null.
func keyColumnsOnly(rel *pglogrepl.RelationMessage, row map[string]any) {
	for _, c := range rel.Columns {
		if c.Flags&1 == 0 {
			delete(row, c.Name)
		}
	}
}

func valueString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case time.Time:
		return x.Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v)
}
