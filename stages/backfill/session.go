package backfill

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/v1change"
)

// session is one process's pass over a run.
type session struct {
	b    *Backfill
	st   state
	conn *pgx.Conn
	cp   *checkpoint
}

// table reads one table from its checkpoint to the end.
func (s *session) table(ctx context.Context, t v1change.Table) (TableResult, error) {
	name := t.QualifiedName()
	tp, err := s.progressOf(ctx, t)
	res := TableResult{Table: name}
	if err != nil || tp.Done {
		return res, err
	}
	res.Since = tp.Since
	r, err := newTableReader(ctx, s.conn, t)
	if err != nil {
		return res, err
	}
	left, err := r.count(ctx, tp.LastPK, tp.Since)
	if err != nil {
		return res, fmt.Errorf("backfill: count %s: %w", name, err)
	}
	s.b.progress.Table(name, tp.Rows, tp.Rows+left)
	defer s.b.progress.Finish()
	cursor := tp.LastPK
	var prev *pending
	for {
		rows, err := r.chunk(ctx, cursor, tp.Since, s.b.cfg.ChunkSize)
		if err != nil {
			return res, err
		}
		next, err := s.send(t, rows, &res)
		if err != nil {
			return res, err
		}
		if err := s.settle(ctx, t, prev, tp, &res); err != nil {
			return res, err
		}
		prev = next
		if len(rows) < s.b.cfg.ChunkSize {
			break
		}
		cursor = rows[len(rows)-1].pk
	}
	if err := s.settle(ctx, t, prev, tp, &res); err != nil {
		return res, err
	}
	return res, s.done(ctx, t, tp)
}

// progressOf returns the table's progress in the run, fixing its lower
// bound the first time so a resumed run reads what the crashed one would.
func (s *session) progressOf(ctx context.Context, t v1change.Table) (*tableProgress, error) {
	if tp, ok := s.cp.Progress[t.QualifiedName()]; ok {
		return tp, nil
	}
	since, err := s.b.since(ctx, s.st, t)
	if err != nil {
		return nil, err
	}
	tp := &tableProgress{Since: since}
	s.cp.Progress[t.QualifiedName()] = tp
	return tp, s.st.save(ctx, s.cp)
}

// pending is a sent chunk not yet checkpointed.
type pending struct {
	flight   *inflight
	rows     int
	lastPK   string
	modified time.Time
}

// send encodes a chunk's READ events and publishes them without waiting.
func (s *session) send(t v1change.Table, rows []row, res *TableResult) (*pending, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	readAt := s.b.now()
	p := &pending{rows: len(rows), lastPK: rows[len(rows)-1].pk}
	msgs := make([]outgoing, 0, len(rows))
	for _, rw := range rows {
		if rw.modified.After(p.modified) {
			p.modified = rw.modified
		}
		if rw.id == "" {
			res.NoKey++
			continue
		}
		o, err := readEvent(s.cp.Run, t, rw, readAt, s.b.cfg.Partitions)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, o)
	}
	p.flight = send(s.b.js, msgs)
	return p, nil
}

// settle waits for a sent chunk's PubAcks and then checkpoints the cursor
// past it: a checkpoint never covers a row that is not stored.
func (s *session) settle(ctx context.Context, t v1change.Table, p *pending, tp *tableProgress, res *TableResult) error {
	if p == nil {
		return nil
	}
	if err := p.flight.settle(ctx, s.b.js, s.b.cfg.PublishAttempts); err != nil {
		return fmt.Errorf("%s after %s=%s: %w", t.QualifiedName(), t.PrimaryKey, tp.LastPK, err)
	}
	if p.modified.After(ptrTime(tp.MaxModified)) {
		m := p.modified
		tp.MaxModified = &m
	}
	tp.LastPK = p.lastPK
	tp.Rows += int64(p.rows)
	tp.Chunks++
	if err := s.st.save(ctx, s.cp); err != nil {
		return err
	}
	res.Read += int64(p.rows)
	res.Published += int64(len(p.flight.msgs))
	s.b.progress.Advance(p.rows)
	return nil
}

// done marks the table finished and moves its bookmark.
func (s *session) done(ctx context.Context, t v1change.Table, tp *tableProgress) error {
	tp.Done = true
	if err := s.st.save(ctx, s.cp); err != nil {
		return err
	}
	if tp.MaxModified != nil {
		if err := s.st.advanceBookmark(ctx, t, *tp.MaxModified); err != nil {
			return fmt.Errorf("backfill: bookmark %s: %w", t.QualifiedName(), err)
		}
	}
	s.b.log.Info().Str(pipeline.FieldTable, t.QualifiedName()).Int64(pipeline.FieldCount, tp.Rows).Msg("backfill: table done")
	return nil
}

func ptrTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}
