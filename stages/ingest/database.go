package ingest

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/v1change"
)

// database runs the ordinary (non-replication) queries of the capture.
type database struct {
	pool *pgxpool.Pool
	cfg  Config
	log  zerolog.Logger
}

// HeartbeatPrefix marks the logical messages ingest emits to keep an idle
// slot moving; pgoutput does not forward them (messages are off).
const HeartbeatPrefix = "v1sync-heartbeat"

func tableIdent(t v1change.Table) string {
	return pgx.Identifier{t.Schema, t.Name}.Sanitize()
}

// ensurePublication creates the publication, or adds tables it lacks.
func (d *database) ensurePublication(ctx context.Context) error {
	var exists bool
	if err := d.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $1)`, d.cfg.Publication).Scan(&exists); err != nil {
		return fmt.Errorf("ingest: publication %s: %w", d.cfg.Publication, err)
	}
	pub := pgx.Identifier{d.cfg.Publication}.Sanitize()
	if !exists {
		names := make([]string, len(d.cfg.Tables))
		for i, t := range d.cfg.Tables {
			names[i] = tableIdent(t)
		}
		if _, err := d.pool.Exec(ctx, "CREATE PUBLICATION "+pub+" FOR TABLE "+strings.Join(names, ", ")); err != nil {
			return fmt.Errorf("ingest: create publication %s: %w", d.cfg.Publication, err)
		}
		d.log.Info().Str(fieldPublication, d.cfg.Publication).Msg("publication created")
		return nil
	}
	for _, t := range d.cfg.Tables {
		var in bool
		err := d.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_publication_tables WHERE pubname = $1 AND schemaname = $2 AND tablename = $3)`,
			d.cfg.Publication, t.Schema, t.Name).Scan(&in)
		if err != nil {
			return fmt.Errorf("ingest: publication %s: %w", d.cfg.Publication, err)
		}
		if !in {
			if _, err := d.pool.Exec(ctx, "ALTER PUBLICATION "+pub+" ADD TABLE "+tableIdent(t)); err != nil {
				return fmt.Errorf("ingest: add %s to publication %s: %w", t.QualifiedName(), d.cfg.Publication, err)
			}
			d.log.Info().Str(fieldPublication, d.cfg.Publication).Str(pipeline.FieldTable, t.QualifiedName()).Msg("table added to publication")
		}
	}
	return nil
}

// keyInDeletes reports whether a DELETE of t carries its key column: true
// under REPLICA IDENTITY FULL, or when the identity index includes it.
func (d *database) keyInDeletes(ctx context.Context, t v1change.Table) (bool, error) {
	var ident string
	var inIndex bool
	err := d.pool.QueryRow(ctx, `
SELECT c.relreplident::text, EXISTS (
  SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
  WHERE i.indrelid = c.oid AND a.attname = $3
    AND ((c.relreplident = 'd' AND i.indisprimary) OR (c.relreplident = 'i' AND i.indisreplident)))
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relname = $2`, t.Schema, t.Name, t.KeyColumn).Scan(&ident, &inIndex)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, fmt.Errorf("ingest: table %s does not exist", t.QualifiedName())
	}
	if err != nil {
		return false, fmt.Errorf("ingest: replica identity of %s: %w", t.QualifiedName(), err)
	}
	return ident == "f" || inIndex, nil
}

// slotState is the slot as pg_replication_slots shows it.
type slotState struct {
	exists    bool
	lost      bool // wal_status 'lost': the WAL it needed is gone
	confirmed pglogrepl.LSN
}

func (d *database) slot(ctx context.Context) (slotState, error) {
	var st slotState
	var confirmed *string
	var walStatus *string
	err := d.pool.QueryRow(ctx, `SELECT confirmed_flush_lsn::text, wal_status FROM pg_replication_slots WHERE slot_name = $1`,
		d.cfg.Slot).Scan(&confirmed, &walStatus)
	if errors.Is(err, pgx.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("ingest: slot %s: %w", d.cfg.Slot, err)
	}
	st.exists = true
	st.lost = walStatus != nil && *walStatus == "lost"
	if confirmed != nil {
		if st.confirmed, err = pglogrepl.ParseLSN(*confirmed); err != nil {
			return st, fmt.Errorf("ingest: slot %s: %w", d.cfg.Slot, err)
		}
	}
	return st, nil
}

// createSlot creates the logical slot with pgoutput and returns its start.
func (d *database) createSlot(ctx context.Context) (pglogrepl.LSN, error) {
	var lsn string
	err := d.pool.QueryRow(ctx, `SELECT lsn::text FROM pg_create_logical_replication_slot($1, 'pgoutput')`, d.cfg.Slot).Scan(&lsn)
	if err != nil {
		return 0, fmt.Errorf("ingest: create slot %s: %w", d.cfg.Slot, err)
	}
	return pglogrepl.ParseLSN(lsn)
}

// heartbeat writes a non-transactional logical message: WAL moves, so the
// server's keepalives advance and an idle slot can be confirmed forward.
func (d *database) heartbeat(ctx context.Context) error {
	_, err := d.pool.Exec(ctx, `SELECT pg_logical_emit_message(false, $1, '')`, HeartbeatPrefix)
	return err
}

// slotLag is the WAL, in bytes, the slot still retains.
func (d *database) slotLag(ctx context.Context) (int64, error) {
	var n *int64
	err := d.pool.QueryRow(ctx, `SELECT (pg_current_wal_lsn() - confirmed_flush_lsn)::bigint FROM pg_replication_slots WHERE slot_name = $1`,
		d.cfg.Slot).Scan(&n)
	if err != nil {
		return 0, err
	}
	if n == nil {
		return 0, errors.New("slot has no confirmed position")
	}
	return *n, nil
}

// keyPairs streams (primary key, key column) of every row of t.
func (d *database) keyPairs(ctx context.Context, t v1change.Table, each func(pk, key string) error) error {
	q := fmt.Sprintf("SELECT %s::text, %s::text FROM %s WHERE %s IS NOT NULL",
		pgx.Identifier{t.PrimaryKey}.Sanitize(), pgx.Identifier{t.KeyColumn}.Sanitize(), tableIdent(t), pgx.Identifier{t.KeyColumn}.Sanitize())
	rows, err := d.pool.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("ingest: read keys of %s: %w", t.QualifiedName(), err)
	}
	defer rows.Close()
	for rows.Next() {
		var pk, key string
		if err := rows.Scan(&pk, &key); err != nil {
			return err
		}
		if err := each(pk, key); err != nil {
			return err
		}
	}
	return rows.Err()
}
