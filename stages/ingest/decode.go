package ingest

import (
	"fmt"

	"github.com/jackc/pglogrepl"

	"github.com/linuxfoundation/v1sync/stages/pgvalue"
)

// rowDecoder turns pgoutput tuples into rows typed as wal-listener types
// them (pgvalue), so capture and backfill produce the same event bodies.
type rowDecoder struct {
	values *pgvalue.Decoder
}

func newRowDecoder() *rowDecoder { return &rowDecoder{values: pgvalue.NewDecoder()} }

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
			v, err := d.values.Decode(meta.DataType, col.Data)
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
