package ingest

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgtype"
)

// rowDecoder turns pgoutput tuples into rows typed as wal-listener types
// them, so both sources produce the same event bodies: booleans and numbers
// as JSON values, timestamps as RFC 3339 in UTC, json/jsonb as JSON, and
// everything else (text, numeric, date, uuid, ...) as its text form.
type rowDecoder struct {
	types *pgtype.Map
}

func newRowDecoder() *rowDecoder { return &rowDecoder{types: pgtype.NewMap()} }

// decode returns the row and the names of unchanged TOASTed columns, which
// are absent from the row (never null: the stored value must be kept).
func (d *rowDecoder) decode(rel *pglogrepl.RelationMessage, tuple *pglogrepl.TupleData) (map[string]any, []string, error) {
	if tuple == nil {
		return nil, nil, nil
	}
	if len(tuple.Columns) > len(rel.Columns) {
		return nil, nil, fmt.Errorf("%s.%s: tuple has %d columns, relation %d", rel.Namespace, rel.RelationName, len(tuple.Columns), len(rel.Columns))
	}
	row := make(map[string]any, len(tuple.Columns))
	var unchanged []string
	for i, col := range tuple.Columns {
		meta := rel.Columns[i]
		switch col.DataType {
		case pglogrepl.TupleDataTypeNull:
			row[meta.Name] = nil
		case pglogrepl.TupleDataTypeToast:
			unchanged = append(unchanged, meta.Name)
		case pglogrepl.TupleDataTypeText:
			v, err := d.value(meta.DataType, col.Data)
			if err != nil {
				return nil, nil, fmt.Errorf("%s.%s column %s: %w", rel.Namespace, rel.RelationName, meta.Name, err)
			}
			row[meta.Name] = v
		default:
			return nil, nil, fmt.Errorf("%s.%s column %s: unexpected tuple data type %q", rel.Namespace, rel.RelationName, meta.Name, col.DataType)
		}
	}
	return row, unchanged, nil
}

func (d *rowDecoder) value(oid uint32, text []byte) (any, error) {
	switch oid {
	case pgtype.BoolOID, pgtype.Int2OID, pgtype.Int4OID, pgtype.Int8OID, pgtype.Float4OID, pgtype.Float8OID:
		return d.decodeText(oid, text)
	case pgtype.TimestampOID, pgtype.TimestamptzOID:
		v, err := d.decodeText(oid, text)
		if t, ok := v.(time.Time); ok && err == nil {
			return t.UTC(), nil
		}
		return string(text), nil // infinity and friends stay text
	case pgtype.JSONOID, pgtype.JSONBOID:
		var v any
		if err := json.Unmarshal(text, &v); err != nil {
			return nil, err
		}
		return v, nil
	}
	return string(text), nil
}

func (d *rowDecoder) decodeText(oid uint32, text []byte) (any, error) {
	t, ok := d.types.TypeForOID(oid)
	if !ok {
		return string(text), nil
	}
	return t.Codec.DecodeValue(d.types, oid, pgtype.TextFormatCode, text)
}
