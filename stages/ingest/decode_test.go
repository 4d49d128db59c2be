package ingest

import (
	"slices"
	"testing"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/linuxfoundation/v1sync/stages/v1change"
)

func emailRelation() *pglogrepl.RelationMessage {
	col := func(name string, oid uint32, key bool) *pglogrepl.RelationMessageColumn {
		c := &pglogrepl.RelationMessageColumn{Name: name, DataType: oid}
		if key {
			c.Flags = 1
		}
		return c
	}
	return &pglogrepl.RelationMessage{Namespace: "salesforce", RelationName: "alternate_email__c", Columns: []*pglogrepl.RelationMessageColumn{
		col("id", pgtype.Int4OID, true), col("sfid", pgtype.VarcharOID, false), col("isdeleted", pgtype.BoolOID, false),
		col("lastmodifieddate", pgtype.TimestampOID, false), col("systemmodstamp", pgtype.TimestampOID, false),
		col("alternate_email_address__c", pgtype.VarcharOID, false), col("payload", pgtype.JSONBOID, false),
		col("bio__c", pgtype.TextOID, false), col("leadorcontactid", pgtype.VarcharOID, false),
	}}
}

func emailTuple(toastBio bool) *pglogrepl.TupleData {
	text := func(s string) *pglogrepl.TupleDataColumn {
		return &pglogrepl.TupleDataColumn{DataType: pglogrepl.TupleDataTypeText, Data: []byte(s)}
	}
	bio := text("likes birds")
	if toastBio {
		bio = &pglogrepl.TupleDataColumn{DataType: pglogrepl.TupleDataTypeToast}
	}
	return &pglogrepl.TupleData{Columns: []*pglogrepl.TupleDataColumn{
		text("42"), text("a0F3t0000d1ZE33EAG"), text("f"), text("2026-07-01 10:00:00.123456"), text("2026-07-01 10:00:01"),
		text("wren@example.org"), text(`{"a":[1,2]}`), bio, {DataType: pglogrepl.TupleDataTypeNull},
	}}
}

// Values are typed as wal-listener types them; unchanged TOAST columns are
// named and absent, never null.
func TestDecodeTypesAndToast(t *testing.T) {
	row, unchanged, err := newRowDecoder().decode(emailRelation(), emailTuple(true))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"id": int32(42), "sfid": "a0F3t0000d1ZE33EAG", "isdeleted": false,
		"lastmodifieddate":           time.Date(2026, 7, 1, 10, 0, 0, 123456000, time.UTC),
		"systemmodstamp":             time.Date(2026, 7, 1, 10, 0, 1, 0, time.UTC),
		"alternate_email_address__c": "wren@example.org", "payload": map[string]any{"a": []any{1.0, 2.0}},
		"leadorcontactid": nil,
	}
	for k, v := range want {
		if got, ok := row[k]; !ok || !equalValue(got, v) {
			t.Errorf("%s = %#v, want %#v", k, got, v)
		}
	}
	if _, present := row["bio__c"]; present || !slices.Equal(unchanged, []string{"bio__c"}) {
		t.Fatalf("unchanged TOAST: row has bio__c=%v, unchanged=%v", row["bio__c"], unchanged)
	}
}

func equalValue(a, b any) bool {
	ta, ok1 := a.(time.Time)
	tb, ok2 := b.(time.Time)
	if ok1 && ok2 {
		return ta.Equal(tb) && ta.Location() == time.UTC
	}
	ea, _ := v1change.Event{Data: map[string]any{"v": a}}.Encode()
	eb, _ := v1change.Event{Data: map[string]any{"v": b}}.Encode()
	return string(ea) == string(eb)
}

// BenchmarkChangeToEvent is ingest's CPU cost per change before publishing:
// decode a 9-column tuple and encode the event.
func BenchmarkChangeToEvent(b *testing.B) {
	d, rel, tuple := newRowDecoder(), emailRelation(), emailTuple(false)
	b.ReportAllocs()
	for b.Loop() {
		row, _, err := d.decode(rel, tuple)
		if err != nil {
			b.Fatal(err)
		}
		ev := v1change.Event{ID: "0/1-1", Schema: "salesforce", Table: "alternate_email__c", Action: v1change.Insert, Data: row, Key: "k"}
		if _, err := ev.Encode(); err != nil {
			b.Fatal(err)
		}
	}
}
