// Package pgvalue decodes PostgreSQL text-format column values the one way
// every v1 source types them (native capture reads pgoutput text, backfill
// reads text-format query results), so a captured row and a backfilled row
// produce identical change events. The typing follows wal-listener's.
package pgvalue

import (
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// Decoder is not safe for concurrent use: each reader owns one.
type Decoder struct {
	types *pgtype.Map
}

// NewDecoder returns a decoder with the built-in PostgreSQL types.
func NewDecoder() *Decoder { return &Decoder{types: pgtype.NewMap()} }

// Decode returns one column value: nil for SQL NULL (nil text), booleans
// and numbers typed, timestamps as UTC instants, json/jsonb as JSON, and
// everything else (text, numeric, date, uuid, ...) as its text form.
func (d *Decoder) Decode(oid uint32, text []byte) (any, error) {
	if text == nil {
		return nil, nil
	}
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

func (d *Decoder) decodeText(oid uint32, text []byte) (any, error) {
	t, ok := d.types.TypeForOID(oid)
	if !ok {
		return string(text), nil
	}
	return t.Codec.DecodeValue(d.types, oid, pgtype.TextFormatCode, text)
}
