package normalize

import (
	"testing"
	"time"

	"github.com/linuxfoundation/v1sync/stages/v1change"
)

func TestParseTimestamp(t *testing.T) {
	want := time.Date(2025, 3, 4, 18, 1, 25, 500000000, time.UTC)
	cases := []struct {
		in any
		ok bool
	}{
		{"2025-03-04T18:01:25.5Z", true},           // wal-listener RFC3339Nano
		{"2025-03-04T18:01:25.500000+00:00", true}, // tap-postgres
		{"2025-03-04T20:01:25.500+02:00", true},    // other zone
		{"2025-03-04T18:01:25.500000", true},       // zone-less = UTC
		{"2025-03-04 18:01:25.5", true},            // PostgreSQL text form
		{"2025-03-04 18:01:25.5+00", true},         // PostgreSQL timestamptz text
		{" 2025-03-04T18:01:25.500000000Z ", true}, // stray spaces
		{"2025-03-04", false},                      // a date is not a version
		{"", false},
		{nil, false},
		{"yesterday", false},
	}
	for _, c := range cases {
		got, ok := parseTimestamp(c.in)
		if ok != c.ok || (ok && !got.Equal(want)) {
			t.Errorf("parseTimestamp(%q) = %v, %v; want %v, %v", c.in, got, ok, want, c.ok)
		}
	}
	if got, ok := parseTimestamp("2025-03-04T18:01:25"); !ok || !got.Equal(want.Truncate(time.Second)) {
		t.Errorf("whole seconds: %v %v", got, ok)
	}
}

func TestCompareVersions(t *testing.T) {
	both := []string{"systemmodstamp", "lastmodifieddate"}
	row := func(sms, lmd any) map[string]any {
		return map[string]any{"systemmodstamp": sms, "lastmodifieddate": lmd}
	}
	cases := []struct {
		name          string
		incoming, cur map[string]any
		cols          []string
		want          order
	}{
		{"systemmodstamp later", row("2025-01-02T00:00:01", "2025-01-01T00:00:00"), row("2025-01-02T00:00:00", "2025-01-01T00:00:00"), both, newer},
		{"only lastmodifieddate later", row("2025-01-02T00:00:00", "2025-01-03T00:00:00"), row("2025-01-02T00:00:00", "2025-01-01T00:00:00"), both, newer},
		{"equal", row("2025-01-02T00:00:00", nil), row("2025-01-02T00:00:00", nil), both, notNewer},
		{"older", row("2025-01-01T00:00:00", "2025-01-01T00:00:00"), row("2025-01-02T00:00:00", "2025-01-02T00:00:00"), both, notNewer},
		// The loader compared strings: "…25Z" > "…25.5+00:00" lexically,
		// although .5 is half a second later.
		{"mixed formats sub-second", row("2025-03-04T18:01:25.500000+00:00", nil), row("2025-03-04T18:01:25Z", nil), both, newer},
		{"mixed formats equal instant", row("2025-03-04T18:01:25.000000+00:00", nil), row("2025-03-04T18:01:25Z", nil), both, notNewer},
		{"zone-less is UTC", row("2025-03-04T18:01:26", nil), row("2025-03-04T18:01:25.9Z", nil), both, newer},
		{"stored has no timestamp", row("2025-01-01T00:00:00", nil), row(nil, nil), both, newer},
		{"stored unparseable", row("2025-01-01T00:00:00", nil), row("garbage", nil), both, newer},
		{"incoming has no timestamp", row(nil, nil), row("2025-01-01T00:00:00", nil), both, unversioned},
		{"table without timestamp columns", row("2025-01-02T00:00:00", nil), row("2025-01-01T00:00:00", nil), nil, unversioned},
		{"merged_user: lastmodifieddate only", row("2025-01-09T00:00:00", "2025-01-01T00:00:00"), row("2025-01-01T00:00:00", "2025-01-02T00:00:00"), []string{"lastmodifieddate"}, notNewer},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := compareVersions(c.incoming, c.cur, c.cols); got != c.want {
				t.Errorf("compareVersions = %v, want %v", got, c.want)
			}
		})
	}
}

func TestUpsertVerdict(t *testing.T) {
	ts := v1change.Table{Schema: "s", Name: "t", KeyColumn: "sfid", TimestampColumns: []string{"systemmodstamp"}}
	noTS := v1change.Table{Schema: "s", Name: "t", KeyColumn: "sfid"}
	live := func(row map[string]any) stored {
		return stored{exists: true, rev: 3, row: row, deleted: softDeleted(row)}
	}
	v := func(sms string, extra ...any) map[string]any {
		m := map[string]any{"sfid": "a", "systemmodstamp": sms}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i].(string)] = extra[i+1]
		}
		return m
	}
	cases := []struct {
		name     string
		table    v1change.Table
		incoming map[string]any
		cur      stored
		want     verdict
	}{
		{"new key", ts, v("2025-01-01T00:00:00"), stored{}, write},
		{"empty stored value", ts, v("2025-01-01T00:00:00"), decodeStored(4, nil), write},
		{"unparseable stored value", ts, v("2025-01-01T00:00:00"), decodeStored(4, []byte{0x81, 0xa1}), write},
		{"newer", ts, v("2025-01-02T00:00:00"), live(v("2025-01-01T00:00:00")), write},
		{"older", ts, v("2025-01-01T00:00:00"), live(v("2025-01-02T00:00:00")), skipNotNewer},
		{"same version", ts, v("2025-01-01T00:00:00", "name", "x"), live(v("2025-01-01T00:00:00")), skipNotNewer},
		{"soft-deleted, newer", ts, v("2025-09-01T00:00:00"), live(v("2025-01-01T00:00:00", fieldDeletedAt, "2025-02-01T00:00:00Z")), skipDeleted},
		{"legacy tombstone", ts, v("2025-09-01T00:00:00"), decodeStored(2, []byte("!del")), skipDeleted},
		{"null deleted_at is live", ts, v("2025-01-02T00:00:00"), live(v("2025-01-01T00:00:00", fieldDeletedAt, nil)), write},
		{"no timestamp, same content", noTS, v("x"), live(v("x", fieldReceivedAt, "2020-01-01T00:00:00Z")), skipUnchanged},
		{"no timestamp, content differs", noTS, v("x", "name", "new"), live(v("x", "name", "old")), write},
		{"no timestamp, soft-deleted", noTS, v("x", "name", "new"), live(v("x", fieldDeletedAt, "2025-01-01T00:00:00Z")), skipDeleted},
		{"null timestamps fall back to content", ts, map[string]any{"sfid": "a", "n": 2}, live(map[string]any{"sfid": "a", "n": 1}), write},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := upsertVerdict(c.table, c.incoming, c.cur); got != c.want {
				t.Errorf("upsertVerdict = %s, want %s", got, c.want)
			}
		})
	}
}

func TestSoftDeleted(t *testing.T) {
	cases := map[string]struct {
		row  map[string]any
		want bool
	}{
		"absent":     {map[string]any{}, false},
		"null":       {map[string]any{fieldDeletedAt: nil}, false},
		"empty":      {map[string]any{fieldDeletedAt: ""}, false},
		"timestamp":  {map[string]any{fieldDeletedAt: "2025-01-01T00:00:00Z"}, true},
		"non-string": {map[string]any{fieldDeletedAt: true}, true},
	}
	for name, c := range cases {
		if got := softDeleted(c.row); got != c.want {
			t.Errorf("%s: softDeleted = %v, want %v", name, got, c.want)
		}
	}
}

func TestIncomingRowKeepsToastAndDropsMetadata(t *testing.T) {
	ev := v1change.Event{
		Action:         v1change.Update,
		Data:           map[string]any{"sfid": "a", "description__c": nil, "bio": nil, fieldDeletedAt: "forged"},
		UnchangedToast: []string{"description__c", "bio"},
	}
	cur := stored{exists: true, row: map[string]any{"sfid": "a", "description__c": "long text"}}
	row := incomingRow(ev, cur)
	if row["description__c"] != "long text" {
		t.Errorf("TOAST column not kept: %v", row["description__c"])
	}
	if _, ok := row["bio"]; ok {
		t.Errorf("TOAST column without stored value must be left out, got %v", row["bio"])
	}
	if _, ok := row[fieldDeletedAt]; ok {
		t.Error("source metadata must be dropped")
	}
}

func TestDeletedRow(t *testing.T) {
	tbl := v1change.Table{Schema: "s", Name: "t", KeyColumn: "sfid"}
	ev := v1change.Event{Action: v1change.Delete, DataOld: map[string]any{"id": 7, "sfid": "a", "name": "old"}}
	cases := []struct {
		name     string
		cur      stored
		want     verdict
		wantName any
	}{
		{"stored row is stamped", stored{exists: true, row: map[string]any{"sfid": "a", "name": "stored"}}, write, "stored"},
		{"missing key uses old image", stored{}, deleteRecovered, "old"},
		{"empty value uses old image", decodeStored(5, nil), deleteRecovered, "old"},
		{"already deleted", stored{exists: true, row: map[string]any{fieldDeletedAt: "x"}, deleted: true}, skipWasDeleted, nil},
	}
	for _, c := range cases {
		row, v := deletedRow(tbl, ev, "a", c.cur)
		if v != c.want || (row != nil && row["name"] != c.wantName) {
			t.Errorf("%s: got %v %s, want name %v %s", c.name, row, v, c.wantName, c.want)
		}
	}
	row, _ := deletedRow(tbl, v1change.Event{Action: v1change.Delete}, "a", stored{})
	if row["sfid"] != "a" {
		t.Errorf("minimal row must carry the key column: %v", row)
	}
}

func TestObjectKey(t *testing.T) {
	tbl := v1change.Table{Schema: "platform", Name: "community__c", KeyColumn: "sfid", PrimaryKey: "id"}
	cases := []struct {
		name    string
		ev      v1change.Event
		want    string
		wantErr bool
		noKey   bool
	}{
		{"insert", v1change.Event{Action: v1change.Insert, Data: map[string]any{"sfid": "a0E1"}}, "platform-community__c.a0E1", false, false},
		{"colon rewritten", v1change.Event{Action: v1change.Read, Data: map[string]any{"sfid": "u:slug"}}, "platform-community__c.u_slug", false, false},
		{"event key wins", v1change.Event{Action: v1change.Delete, Key: "platform-community__c.a0E2", DataOld: map[string]any{"id": 1}}, "platform-community__c.a0E2", false, false},
		{"event key of another table", v1change.Event{Action: v1change.Delete, Key: "salesforce-project__c.a0E2"}, "", true, false},
		{"delete from old image", v1change.Event{Action: v1change.Delete, DataOld: map[string]any{"sfid": "a0E3"}}, "platform-community__c.a0E3", false, false},
		{"delete with only the primary key", v1change.Event{Action: v1change.Delete, DataOld: map[string]any{"id": 1}}, "", true, false},
		{"row not yet synced to Salesforce", v1change.Event{Action: v1change.Insert, Data: map[string]any{"sfid": nil}}, "", false, true},
		{"invalid token", v1change.Event{Action: v1change.Insert, Data: map[string]any{"sfid": "a b"}}, "", true, false},
		{"dot in id", v1change.Event{Action: v1change.Insert, Data: map[string]any{"sfid": "a.b"}}, "", true, false},
		{"non-ASCII id", v1change.Event{Action: v1change.Insert, Data: map[string]any{"sfid": "aé"}}, "", true, false},
		{"colon in event key", v1change.Event{Action: v1change.Delete, Key: "platform-community__c.u:slug"}, "platform-community__c.u_slug", false, false},
	}
	for _, c := range cases {
		key, _, err := objectKey(tbl, c.ev)
		switch {
		case c.noKey && err != errNoKey:
			t.Errorf("%s: err %v, want errNoKey", c.name, err)
		case c.wantErr && (err == nil || err == errNoKey):
			t.Errorf("%s: want an error, got key %q err %v", c.name, key, err)
		case !c.wantErr && !c.noKey && (err != nil || key != c.want):
			t.Errorf("%s: got %q %v, want %q", c.name, key, err, c.want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	bad := DefaultConfig()
	bad.Tables = append(bad.Tables, bad.Tables[0], v1change.Table{Schema: "x"})
	bad.MaxCASAttempts = 0
	if err := bad.Validate(); err == nil {
		t.Fatal("want errors for duplicate table, incomplete table and zero attempts")
	}
	if err := (Config{MaxCASAttempts: 1}).Validate(); err == nil {
		t.Fatal("want an error for an empty table set")
	}
}
