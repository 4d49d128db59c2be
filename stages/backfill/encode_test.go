package backfill

import (
	"reflect"
	"testing"
	"time"

	"github.com/linuxfoundation/v1sync/stages/v1change"
)

// The hand-written encoding decodes to exactly what Event.Encode gives.
func TestEncodeReadMatchesEventEncode(t *testing.T) {
	tbl := v1change.Table{Schema: "platform", Name: "community__c"}
	at := time.Date(2026, 1, 2, 3, 4, 5, 600700000, time.UTC)
	cols := []string{"id", "sfid", "isdeleted", "n16", "n64", "f", "ts", "bio", "ctl", "amp", "bad", "doc", "nothing", "date"}
	vals := []any{int32(7), "a0E1", true, int16(-3), int64(1 << 40), 1.5, at, "Zoë 🚀", "tab\tquote\"back\\", "<a&b>", "\xff", map[string]any{"k": []any{1.0, "x"}}, nil, "2025-01-06"}
	got, err := encodeRead("run:platform.community__c:7", "run", tbl, at, cols, vals)
	if err != nil {
		t.Fatal(err)
	}
	data := map[string]any{}
	for i, c := range cols {
		data[c] = vals[i]
	}
	want, err := v1change.Event{ID: "run:platform.community__c:7", Schema: tbl.Schema, Table: tbl.Name, Action: v1change.Read,
		Data: data, CommitTime: at, Run: "run"}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	a, errA := v1change.Decode(got)
	b, errB := v1change.Decode(want)
	if errA != nil || errB != nil || !reflect.DeepEqual(a, b) {
		t.Fatalf("decoded differently (%v, %v):\n got  %s\n want %s", errA, errB, got, want)
	}
}
