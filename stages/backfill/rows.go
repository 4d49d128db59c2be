package backfill

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/linuxfoundation/v1sync/stages/pgvalue"
	"github.com/linuxfoundation/v1sync/stages/v1change"
)

// tableReader pages through one table by primary key (keyset pagination:
// every chunk is an index range scan, however far the cursor is).
type tableReader struct {
	conn   *pgx.Conn
	t      v1change.Table
	pkType string
	values *pgvalue.Decoder
}

// row is one read row in the form the change event carries.
type row struct {
	pk string
	// id is the key column's value, "" when it is NULL (a row Salesforce has
	// not assigned an id yet: it has no v1-objects key).
	id       string
	cols     []string
	vals     []any
	modified time.Time
}

func newTableReader(ctx context.Context, conn *pgx.Conn, t v1change.Table) (*tableReader, error) {
	var pkType string
	err := conn.QueryRow(ctx, `SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
		WHERE a.attrelid = $1::regclass AND a.attname = $2 AND NOT a.attisdropped`,
		pgx.Identifier{t.Schema, t.Name}.Sanitize(), t.PrimaryKey).Scan(&pkType)
	if err != nil {
		return nil, fmt.Errorf("backfill: primary key %s of %s: %w", t.PrimaryKey, t.QualifiedName(), err)
	}
	return &tableReader{conn: conn, t: t, pkType: pkType, values: pgvalue.NewDecoder()}, nil
}

// where is the shared filter of chunk and count queries: after the cursor
// and, in incremental mode, changed since the lower bound.
func (r *tableReader) where(afterPK string, since *time.Time) (string, []any) {
	var conds []string
	var args []any
	if afterPK != "" {
		args = append(args, afterPK)
		// The cursor is kept as text; the server casts it back to the key's type.
		conds = append(conds, fmt.Sprintf("%s > $%d::text::%s", r.col(r.t.PrimaryKey), len(args), r.pkType))
	}
	if since != nil && len(r.t.TimestampColumns) > 0 {
		args = append(args, since.UTC().Format("2006-01-02 15:04:05.999999Z07:00"))
		var ors []string
		for _, c := range r.t.TimestampColumns {
			ors = append(ors, fmt.Sprintf("%s >= $%d::text::timestamptz", r.col(c), len(args)))
		}
		conds = append(conds, "("+strings.Join(ors, " OR ")+")")
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

func (r *tableReader) col(name string) string { return pgx.Identifier{name}.Sanitize() }

func (r *tableReader) from() string { return pgx.Identifier{r.t.Schema, r.t.Name}.Sanitize() }

// count returns how many rows are left to read.
func (r *tableReader) count(ctx context.Context, afterPK string, since *time.Time) (int64, error) {
	where, args := r.where(afterPK, since)
	var n int64
	err := r.conn.QueryRow(ctx, "SELECT count(*) FROM "+r.from()+where, args...).Scan(&n)
	return n, err
}

// chunk reads the next limit rows after afterPK.
func (r *tableReader) chunk(ctx context.Context, afterPK string, since *time.Time, limit int) ([]row, error) {
	where, args := r.where(afterPK, since)
	sql := fmt.Sprintf("SELECT * FROM %s%s ORDER BY %s LIMIT %d", r.from(), where, r.col(r.t.PrimaryKey), limit)
	// Text results: the same representation pgoutput sends, decoded the
	// same way, so a backfilled row and a captured row compare equal.
	rows, err := r.conn.Query(ctx, sql, append([]any{pgx.QueryResultFormats{pgx.TextFormatCode}}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("backfill: read %s: %w", r.t.QualifiedName(), err)
	}
	defer rows.Close()
	fields := rows.FieldDescriptions()
	cols := make([]string, len(fields)) // shared by the chunk's rows
	for i, f := range fields {
		cols[i] = f.Name
	}
	out := make([]row, 0, limit)
	for rows.Next() {
		rw, err := r.decodeRow(fields, cols, rows.RawValues())
		if err != nil {
			return nil, err
		}
		out = append(out, rw)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("backfill: read %s: %w", r.t.QualifiedName(), err)
	}
	return out, nil
}

func (r *tableReader) decodeRow(fields []pgconn.FieldDescription, cols []string, raw [][]byte) (row, error) {
	rw := row{cols: cols, vals: make([]any, len(fields))}
	for i, f := range fields {
		v, err := r.values.Decode(f.DataTypeOID, raw[i])
		if err != nil {
			return row{}, fmt.Errorf("backfill: %s column %s: %w", r.t.QualifiedName(), f.Name, err)
		}
		rw.vals[i] = v
		switch f.Name {
		case r.t.PrimaryKey:
			rw.pk = string(raw[i])
		case r.t.KeyColumn:
			rw.id = string(raw[i])
		}
		if ts, ok := v.(time.Time); ok && isTimestampColumn(r.t, f.Name) && ts.After(rw.modified) {
			rw.modified = ts
		}
	}
	if rw.pk == "" {
		return row{}, fmt.Errorf("backfill: %s row without primary key %s", r.t.QualifiedName(), r.t.PrimaryKey)
	}
	return rw, nil
}

func isTimestampColumn(t v1change.Table, name string) bool {
	for _, c := range t.TimestampColumns {
		if c == name {
			return true
		}
	}
	return false
}
