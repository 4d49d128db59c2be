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
	for {
		rows, err := r.chunk(ctx, tp.LastPK, tp.Since, s.b.cfg.ChunkSize)
		if err != nil {
			return res, err
		}
		if err := s.publish(ctx, t, rows, tp, &res); err != nil {
			return res, err
		}
		if len(rows) < s.b.cfg.ChunkSize {
			break
		}
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

// publish sends a chunk's READ events, waits for their PubAcks and then
// checkpoints the cursor past them.
func (s *session) publish(ctx context.Context, t v1change.Table, rows []row, tp *tableProgress, res *TableResult) error {
	if len(rows) == 0 {
		return nil
	}
	readAt := s.b.now()
	msgs := make([]outgoing, 0, len(rows))
	for _, rw := range rows {
		if rw.modified.After(ptrTime(tp.MaxModified)) {
			m := rw.modified
			tp.MaxModified = &m
		}
		if rw.id == "" {
			res.NoKey++
			continue
		}
		o, err := readEvent(s.cp.Run, t, rw, readAt, s.b.cfg.Partitions)
		if err != nil {
			return err
		}
		msgs = append(msgs, o)
	}
	if err := publishChunk(ctx, s.b.js, msgs, s.b.cfg.PublishAttempts); err != nil {
		return fmt.Errorf("%s after %s=%s: %w", t.QualifiedName(), t.PrimaryKey, tp.LastPK, err)
	}
	tp.LastPK = rows[len(rows)-1].pk
	tp.Rows += int64(len(rows))
	tp.Chunks++
	if err := s.st.save(ctx, s.cp); err != nil {
		return err
	}
	res.Read += int64(len(rows))
	res.Published += int64(len(msgs))
	s.b.progress.Advance(len(rows))
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
