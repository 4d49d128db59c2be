package pgvalue

import (
	"reflect"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// Values are typed as wal-listener types them.
func TestDecodeTypes(t *testing.T) {
	cases := []struct {
		oid  uint32
		text []byte
		want any
	}{
		{pgtype.Int4OID, []byte("42"), int32(42)},
		{pgtype.Int8OID, []byte("-7"), int64(-7)},
		{pgtype.Float8OID, []byte("1.5"), 1.5},
		{pgtype.BoolOID, []byte("f"), false},
		{pgtype.VarcharOID, []byte("a0F3t0000d1ZE33EAG"), "a0F3t0000d1ZE33EAG"},
		{pgtype.TextOID, []byte(""), ""},
		{pgtype.NumericOID, []byte("12.50"), "12.50"},
		{pgtype.DateOID, []byte("2026-07-01"), "2026-07-01"},
		{pgtype.TimestampOID, []byte("2026-07-01 10:00:00.123456"), time.Date(2026, 7, 1, 10, 0, 0, 123456000, time.UTC)},
		{pgtype.TimestamptzOID, []byte("2026-07-01 12:00:01+02"), time.Date(2026, 7, 1, 10, 0, 1, 0, time.UTC)},
		{pgtype.TimestampOID, []byte("infinity"), "infinity"},
		{pgtype.JSONBOID, []byte(`{"a":[1,2]}`), map[string]any{"a": []any{1.0, 2.0}}},
		{pgtype.TextOID, nil, nil},
	}
	d := NewDecoder()
	for _, c := range cases {
		got, err := d.Decode(c.oid, c.text)
		if err != nil {
			t.Errorf("oid %d %q: %v", c.oid, c.text, err)
			continue
		}
		if ts, ok := got.(time.Time); ok && ts.Location() != time.UTC {
			t.Errorf("oid %d %q: %v not in UTC", c.oid, c.text, ts)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("oid %d %q = %#v, want %#v", c.oid, c.text, got, c.want)
		}
	}
}

func TestDecodeBadJSONFails(t *testing.T) {
	if v, err := NewDecoder().Decode(pgtype.JSONOID, []byte("{")); err == nil {
		t.Fatalf("decoded %#v, want an error", v)
	}
}
