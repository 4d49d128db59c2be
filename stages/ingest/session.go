package ingest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/pipeline"
)

// session is one replication connection, from START_REPLICATION to its
// first error. Nothing survives it but the slot's confirmed position: a new
// session re-reads from there, and de-duplication absorbs the re-sends.
type session struct {
	src       *Source
	conn      *pgconn.PgConn
	prep      *preparation
	tracker   *tracker
	index     *idIndex
	decoder   *rowDecoder
	relations map[uint32]*pglogrepl.RelationMessage
	tx        *openTx

	acks      chan pendingAck
	failed    chan error
	ackerDone chan struct{}
}

// openTx is the transaction being received.
type openTx struct {
	entry   *txEntry
	begin   *pglogrepl.BeginMessage
	ordinal int
	skip    bool // committed before the last LSN already in V1_CHANGES
}

// pendingAck is one async publish awaiting its PubAck, in publish order.
type pendingAck struct {
	entry  *txEntry
	future jetstream.PubAckFuture
	commit time.Time
	change bool // a V1_CHANGES event (not an id index entry)
}

const receiveSlice = 200 * time.Millisecond

func (s *Source) newSession(ctx context.Context, prep *preparation, state jetstream.KeyValue) (*session, error) {
	conn, err := pgconn.ConnectConfig(ctx, s.repl.Copy())
	if err != nil {
		return nil, fmt.Errorf("ingest: replication connection: %w", err)
	}
	args := []string{"proto_version '1'", fmt.Sprintf("publication_names '%s'", s.cfg.Publication)}
	// Start 0 resumes from the slot's confirmed position.
	if err := pglogrepl.StartReplication(ctx, conn, s.cfg.Slot, 0, pglogrepl.StartReplicationOptions{PluginArgs: args}); err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("ingest: start replication on slot %s: %w", s.cfg.Slot, err)
	}
	s.log.Info().Str(pipeline.FieldLSN, prep.confirmed.String()).Str(fieldLastStoredLSN, prep.lastStored.String()).Msg("replication started")
	return &session{
		src: s, conn: conn, prep: prep,
		tracker:   newTracker(prep.confirmed, s.cfg.durableAfter()),
		index:     newIDIndex(state),
		decoder:   newRowDecoder(),
		relations: map[uint32]*pglogrepl.RelationMessage{},
		acks:      make(chan pendingAck, 8192),
		failed:    make(chan error, 1),
		ackerDone: make(chan struct{}),
	}, nil
}

// close ends the connection and waits briefly for publishes still in flight,
// so that the next session's re-sends come after them.
func (s *session) close() {
	_ = s.conn.Close(context.Background())
	select {
	case <-s.src.js.PublishAsyncComplete():
	case <-time.After(5 * time.Second):
	}
}

// stream receives until an error, reporting the durable position on time.
func (s *session) stream(ctx context.Context) error {
	go s.acker(ctx)
	nextStatus := time.Now()
	for {
		select {
		case err := <-s.failed:
			return err
		default:
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		now := time.Now()
		if !now.Before(nextStatus) {
			if err := s.sendStatus(now); err != nil {
				return err
			}
			nextStatus = now.Add(s.src.cfg.StatusInterval)
		}
		_ = s.conn.Conn().SetReadDeadline(minTime(nextStatus, now.Add(receiveSlice)))
		raw, err := s.conn.ReceiveMessage(context.Background())
		if err != nil {
			if pgconn.Timeout(err) {
				continue
			}
			return fmt.Errorf("ingest: replication receive: %w", err)
		}
		switch m := raw.(type) {
		case *pgproto3.CopyData:
			replyNow, err := s.handle(ctx, m.Data)
			if err != nil {
				return err
			}
			if replyNow {
				nextStatus = time.Now()
			}
		case *pgproto3.ErrorResponse:
			return fmt.Errorf("ingest: replication: %w", pgconn.ErrorResponseToPgError(m))
		}
	}
}

func (s *session) sendStatus(now time.Time) error {
	lsn := s.tracker.confirmable(now)
	if lsn == 0 {
		return nil
	}
	if err := pglogrepl.SendStandbyStatusUpdate(context.Background(), s.conn, pglogrepl.StandbyStatusUpdate{WALWritePosition: lsn}); err != nil {
		return fmt.Errorf("ingest: standby status: %w", err)
	}
	if uint64(lsn) != s.src.metrics.confirmed.Load() {
		s.src.log.Debug().Str(pipeline.FieldLSN, lsn.String()).Msg("slot position confirmed")
	}
	s.src.metrics.confirmed.Store(uint64(lsn))
	return nil
}

// handle processes one CopyData message; it reports whether the server asked
// for an immediate status reply.
func (s *session) handle(ctx context.Context, data []byte) (bool, error) {
	if len(data) == 0 {
		return false, nil
	}
	switch data[0] {
	case pglogrepl.PrimaryKeepaliveMessageByteID:
		ka, err := pglogrepl.ParsePrimaryKeepaliveMessage(data[1:])
		if err != nil {
			return false, fmt.Errorf("ingest: keepalive: %w", err)
		}
		if s.tx == nil {
			s.tracker.mark(ka.ServerWALEnd, time.Now())
		}
		return ka.ReplyRequested, nil
	case pglogrepl.XLogDataByteID:
		xld, err := pglogrepl.ParseXLogData(data[1:])
		if err != nil {
			return false, fmt.Errorf("ingest: xlog data: %w", err)
		}
		return false, s.handleWAL(ctx, xld.WALData)
	}
	return false, nil
}

func (s *session) handleWAL(ctx context.Context, walData []byte) error {
	msg, err := pglogrepl.Parse(walData)
	if err != nil {
		return fmt.Errorf("ingest: decode pgoutput: %w", err)
	}
	switch m := msg.(type) {
	case *pglogrepl.RelationMessage:
		s.relations[m.RelationID] = m
	case *pglogrepl.BeginMessage:
		s.tx = &openTx{entry: s.tracker.open(), begin: m, skip: m.FinalLSN < s.prep.lastStored}
	case *pglogrepl.CommitMessage:
		if s.tx == nil {
			return errors.New("ingest: COMMIT without BEGIN")
		}
		s.tracker.close(s.tx.entry, m.TransactionEndLSN, time.Now())
		s.tx = nil
	case *pglogrepl.InsertMessage, *pglogrepl.UpdateMessage, *pglogrepl.DeleteMessage, *pglogrepl.TruncateMessage:
		if s.tx == nil {
			return errors.New("ingest: change outside a transaction")
		}
		return s.change(ctx, msg)
	}
	return nil
}

// acker waits for PubAcks in publish order; the first failure ends the
// session (async publishes may reorder on retry, so none is retried alone).
func (s *session) acker(ctx context.Context) {
	defer close(s.ackerDone)
	for {
		select {
		case <-ctx.Done():
			return
		case a := <-s.acks:
			select {
			case <-ctx.Done():
				return
			case <-a.future.Ok():
				now := time.Now()
				s.tracker.acked(a.entry, now)
				if a.change {
					s.src.metrics.published.Add(ctx, 1)
					s.src.metrics.ackLatency.Record(ctx, now.Sub(a.commit).Seconds())
				}
			case err := <-a.future.Err():
				s.failed <- fmt.Errorf("ingest: publish %s: %w", a.future.Msg().Header.Get("Nats-Msg-Id"), err)
				return
			}
		}
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
