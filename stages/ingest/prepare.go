package ingest

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pglogrepl"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/streams"
)

// preparation is what a session needs to know before it streams.
type preparation struct {
	confirmed pglogrepl.LSN
	// lastStored is the newest commit LSN found in V1_CHANGES: transactions
	// that committed before it were stored by an earlier run and are skipped,
	// even after the de-duplication window has passed.
	lastStored pglogrepl.LSN
	// indexed names the tables whose DELETEs lack the key column.
	indexed map[string]bool
}

// SlotStateKey is the v1sync-state key recording that the slot was created
// by ingest. Its presence (or any captured change in V1_CHANGES) means the
// slot has been used: if it disappears, changes may be lost, and ingest
// reports that instead of silently recreating the slot.
func SlotStateKey(slot string) string { return "ingest.slot." + slot }

func (s *Source) prepare(ctx context.Context, db *database, state jetstream.KeyValue) (*preparation, error) {
	if err := db.ensurePublication(ctx); err != nil {
		return nil, err
	}
	p := &preparation{indexed: map[string]bool{}}
	for _, t := range s.cfg.Tables {
		ok, err := db.keyInDeletes(ctx, t)
		if err != nil {
			return nil, err
		}
		if !ok {
			p.indexed[t.QualifiedName()] = true
			s.log.Warn().Str(pipeline.FieldTable, t.QualifiedName()).
				Msgf("deletes carry only %s, not %s: ingest resolves their key through its id index in KV %s; to put %s into deletes run: ALTER TABLE %s REPLICA IDENTITY FULL;",
					t.PrimaryKey, t.KeyColumn, streams.BucketState, t.KeyColumn, tableIdent(t))
		}
	}
	var err error
	if p.lastStored, err = lastStoredLSN(ctx, s.js); err != nil {
		return nil, err
	}
	slot, err := db.slot(ctx)
	if err != nil {
		return nil, err
	}
	used, err := s.slotUsed(ctx, state, p.lastStored)
	if err != nil {
		return nil, err
	}
	switch {
	case slot.lost:
		return nil, fmt.Errorf("ingest: slot %s is invalidated (wal_status lost; drop it first): %w: %s", s.cfg.Slot, ErrSlotLost, slotLostAdvice(s.cfg.Slot))
	case !slot.exists && used:
		return nil, fmt.Errorf("ingest: slot %s is missing but was used before (last stored LSN %s): %w: %s", s.cfg.Slot, p.lastStored, ErrSlotLost, slotLostAdvice(s.cfg.Slot))
	case !slot.exists:
		if slot.confirmed, err = s.createSlot(ctx, db, state, p); err != nil {
			return nil, err
		}
	case !used:
		// Made by an operator, or a first start that died before recording
		// it: seed the id index and record the slot so that its loss is noticed.
		if err := s.adoptSlot(ctx, db, state, p, slot.confirmed); err != nil {
			return nil, err
		}
	}
	p.confirmed = slot.confirmed
	return p, nil
}

func (s *Source) slotUsed(ctx context.Context, state jetstream.KeyValue, lastStored pglogrepl.LSN) (bool, error) {
	if lastStored != 0 {
		return true, nil
	}
	_, err := state.Get(ctx, SlotStateKey(s.cfg.Slot))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("ingest: read slot record: %w", err)
	}
	return true, nil
}

// createSlot creates the slot on first start and adopts it.
func (s *Source) createSlot(ctx context.Context, db *database, state jetstream.KeyValue, p *preparation) (pglogrepl.LSN, error) {
	lsn, err := db.createSlot(ctx)
	if err != nil {
		return 0, err
	}
	s.log.Info().Str(pipeline.FieldLSN, lsn.String()).Msg("replication slot created")
	return lsn, s.adoptSlot(ctx, db, state, p, lsn)
}

// adoptSlot seeds the id index from the rows that exist now (later rows
// arrive through the slot), then records the slot as used.
func (s *Source) adoptSlot(ctx context.Context, db *database, state jetstream.KeyValue, p *preparation, lsn pglogrepl.LSN) error {
	for _, t := range s.cfg.Tables {
		if !p.indexed[t.QualifiedName()] {
			continue
		}
		if err := s.seedIndex(ctx, db, t.QualifiedName()); err != nil {
			return err
		}
	}
	if _, err := state.Put(ctx, SlotStateKey(s.cfg.Slot), []byte(lsn.String())); err != nil {
		return fmt.Errorf("ingest: record slot: %w", err)
	}
	return nil
}

func (s *Source) seedIndex(ctx context.Context, db *database, table string) error {
	t := s.table(table)
	var futures []jetstream.PubAckFuture
	err := db.keyPairs(ctx, t, func(pk, key string) error {
		f, err := s.js.PublishAsync(IDIndexSubject(t.Prefix(), pk), []byte(key), jetstream.WithStallWait(s.cfg.PublishStallWait))
		futures = append(futures, f)
		return err
	})
	if err != nil {
		return err
	}
	for _, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return fmt.Errorf("ingest: seed id index of %s: %w", table, err)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.log.Info().Str(pipeline.FieldTable, table).Int(pipeline.FieldCount, len(futures)).Msg("id index seeded")
	return nil
}

// lastStoredLSN walks V1_CHANGES back from its tail to the newest message
// with an LSN header; other sources (backfill, bridge) have none.
func lastStoredLSN(ctx context.Context, js jetstream.JetStream) (pglogrepl.LSN, error) {
	const maxWalk = 2000
	st, err := js.Stream(ctx, streams.V1Changes)
	if err != nil {
		return 0, fmt.Errorf("ingest: stream %s: %w", streams.V1Changes, err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("ingest: stream %s: %w", streams.V1Changes, err)
	}
	for seq, n := info.State.LastSeq, 0; seq >= info.State.FirstSeq && seq > 0 && n < maxWalk; seq, n = seq-1, n+1 {
		msg, err := st.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("ingest: read %s seq %d: %w", streams.V1Changes, seq, err)
		}
		if h := msg.Header.Get(streams.HeaderLSN); h != "" {
			return pglogrepl.ParseLSN(h)
		}
	}
	return 0, nil
}

func lsnString(v uint64) string { return pglogrepl.LSN(v).String() }
