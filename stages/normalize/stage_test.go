package normalize

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/v1change"
	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
)

const projectKey = "salesforce-project__c.a092W0000h8PYh6QAG"

type fixture struct {
	t     *testing.T
	kv    jetstream.KeyValue
	stage *Stage
	now   time.Time
}

func newFixture(t *testing.T) *fixture {
	env := natstest.Start(t)
	env.Provision(t, streams.Config{})
	kv := env.KV(t, streams.BucketObjects)
	f := &fixture{t: t, kv: kv, now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	f.stage = f.newStage(kv)
	return f
}

func (f *fixture) newStage(kv jetstream.KeyValue) *Stage {
	s, err := New(DefaultConfig(), kv)
	if err != nil {
		f.t.Fatal(err)
	}
	s.now = func() time.Time { return f.now }
	return s
}

func project(action v1change.Action, sms string, extra ...any) v1change.Event {
	row := map[string]any{"id": 1, "sfid": "a092W0000h8PYh6QAG", "name": "Open Orbit", "systemmodstamp": sms, "lastmodifieddate": sms}
	for i := 0; i+1 < len(extra); i += 2 {
		row[extra[i].(string)] = extra[i+1]
	}
	ev := v1change.Event{ID: "e-" + sms, Schema: "salesforce", Table: "project__c", Action: action,
		CommitTime: time.Date(2026, 1, 1, 12, 0, 0, 250000000, time.UTC)}
	if action == v1change.Delete {
		ev.DataOld = row
	} else {
		ev.Data = row
	}
	return ev
}

func (f *fixture) handle(ev v1change.Event) error {
	f.t.Helper()
	data, err := ev.Encode()
	if err != nil {
		f.t.Fatal(err)
	}
	return f.handleRaw(data)
}

func (f *fixture) handleRaw(data []byte) error {
	_, err := f.stage.Handle(context.Background(), &pipeline.Message{Subject: "v1.changes.x", Data: data})
	return err
}

func (f *fixture) mustHandle(ev v1change.Event) {
	f.t.Helper()
	if err := f.handle(ev); err != nil {
		f.t.Fatalf("handle %s: %v", ev.Action, err)
	}
}

func (f *fixture) get(key string) map[string]any {
	f.t.Helper()
	e, err := f.kv.Get(context.Background(), key)
	if err != nil {
		f.t.Fatalf("get %s: %v", key, err)
	}
	var row map[string]any
	if err := json.Unmarshal(e.Value(), &row); err != nil {
		f.t.Fatalf("stored value of %s: %v", key, err)
	}
	return row
}

func (f *fixture) put(key, value string) {
	f.t.Helper()
	if _, err := f.kv.PutString(context.Background(), key, value); err != nil {
		f.t.Fatal(err)
	}
}

func TestInsertWritesRowWithMetadata(t *testing.T) {
	f := newFixture(t)
	f.mustHandle(project(v1change.Insert, "2025-01-06T10:00:00"))
	row := f.get(projectKey)
	if row["name"] != "Open Orbit" || row["sfid"] != "a092W0000h8PYh6QAG" {
		t.Errorf("row not stored: %v", row)
	}
	if row[fieldExtractedAt] != "2026-01-01T12:00:00.25Z" || row[fieldReceivedAt] != "2026-01-02T03:04:05Z" {
		t.Errorf("metadata: extracted %v received %v", row[fieldExtractedAt], row[fieldReceivedAt])
	}
	if _, ok := row[fieldDeletedAt]; ok {
		t.Error("a live row must not carry _sdc_deleted_at")
	}
}

func TestUpdateLandsOnlyWhenNewer(t *testing.T) {
	f := newFixture(t)
	f.mustHandle(project(v1change.Insert, "2025-01-06T10:00:00"))
	f.mustHandle(project(v1change.Update, "2025-01-06T11:00:00", "name", "newer"))
	f.mustHandle(project(v1change.Update, "2025-01-06T10:30:00", "name", "older"))
	f.mustHandle(project(v1change.Update, "2025-01-06T11:00:00.000000+00:00", "name", "same instant"))
	if got := f.get(projectKey)["name"]; got != "newer" {
		t.Errorf("name = %v, want newer", got)
	}
	c := f.stage.Counts()
	if c[string(skipNotNewer)] != 2 || c[string(write)] != 2 {
		t.Errorf("counts = %v", c)
	}
}

func TestDeleteStampsStoredRowAndIsNeverResurrected(t *testing.T) {
	f := newFixture(t)
	f.mustHandle(project(v1change.Insert, "2025-01-06T10:00:00", "description__c", "kept"))
	del := project(v1change.Delete, "2025-01-06T10:00:00")
	del.DataOld = map[string]any{"id": 1}
	del.Key = projectKey
	f.mustHandle(del)
	row := f.get(projectKey)
	if row[fieldDeletedAt] != "2026-01-01T12:00:00.25Z" || row["description__c"] != "kept" {
		t.Errorf("delete must stamp the stored row: %v", row)
	}
	f.mustHandle(project(v1change.Update, "2025-09-01T00:00:00", "name", "resurrected?"))
	f.mustHandle(project(v1change.Read, "2025-09-01T00:00:00", "name", "backfilled?"))
	f.mustHandle(project(v1change.Insert, "2025-09-01T00:00:00", "name", "reinserted?"))
	if got := f.get(projectKey); got["name"] != "Open Orbit" || !softDeleted(got) {
		t.Errorf("soft-deleted row changed: %v", got)
	}
	e, _ := f.kv.Get(context.Background(), projectKey)
	f.mustHandle(del) // redelivered delete: no new revision
	e2, _ := f.kv.Get(context.Background(), projectKey)
	if e2.Revision() != e.Revision() {
		t.Errorf("a repeated delete rewrote the key (rev %d -> %d)", e.Revision(), e2.Revision())
	}
}

func TestDeleteIsNeverLost(t *testing.T) {
	for name, setup := range map[string]func(f *fixture){
		"missing key":   func(*fixture) {},
		"empty value":   func(f *fixture) { f.put(projectKey, "") },
		"garbage value": func(f *fixture) { f.put(projectKey, "\x81\xa1x") },
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			setup(f)
			f.mustHandle(project(v1change.Delete, "2025-01-06T10:00:00"))
			row := f.get(projectKey)
			if !softDeleted(row) || row["name"] != "Open Orbit" {
				t.Errorf("delete lost or old image not used: %v", row)
			}
			// A backfill read of the pre-delete row must not bring it back.
			f.mustHandle(project(v1change.Read, "2025-01-06T10:00:00"))
			if !softDeleted(f.get(projectKey)) {
				t.Error("backfill resurrected a deleted row")
			}
		})
	}
}

func TestUnchangedToastKeepsStoredValue(t *testing.T) {
	f := newFixture(t)
	f.mustHandle(project(v1change.Insert, "2025-01-06T10:00:00", "description__c", "a very long TOASTed text"))
	upd := project(v1change.Update, "2025-01-06T11:00:00", "name", "renamed")
	delete(upd.Data, "description__c")
	upd.UnchangedToast = []string{"description__c"}
	f.mustHandle(upd)
	row := f.get(projectKey)
	if row["description__c"] != "a very long TOASTed text" || row["name"] != "renamed" {
		t.Errorf("TOAST value lost: %v", row)
	}
}

func TestEmptyOrUnparseableStoredValueIsOverwritten(t *testing.T) {
	for name, value := range map[string]string{"empty": "", "garbage": "not json {"} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			f.put(projectKey, value)
			f.mustHandle(project(v1change.Update, "2025-01-06T10:00:00"))
			if got := f.get(projectKey)["name"]; got != "Open Orbit" {
				t.Errorf("wedged key not repaired: %v", got)
			}
		})
	}
}

func TestBackfillReadRaceRules(t *testing.T) {
	f := newFixture(t)
	f.mustHandle(project(v1change.Read, "2025-01-06T10:00:00", "name", "read 1"))
	f.mustHandle(project(v1change.Update, "2025-01-06T12:00:00", "name", "live"))
	// A read taken before the live update arrives after it: skipped.
	f.mustHandle(project(v1change.Read, "2025-01-06T11:00:00", "name", "stale read"))
	if got := f.get(projectKey)["name"]; got != "live" {
		t.Errorf("stale backfill overwrote a live change: %v", got)
	}
	// tap-postgres formats vs wal-listener formats compare as instants.
	f.mustHandle(project(v1change.Read, "2025-01-06T12:00:00.500000+00:00", "name", "read 2"))
	if got := f.get(projectKey)["name"]; got != "read 2" {
		t.Errorf("newer read skipped: %v", got)
	}
}

func TestTableWithoutTimestampComparesContent(t *testing.T) {
	env := natstest.Start(t)
	env.Provision(t, streams.Config{})
	kv := env.KV(t, streams.BucketObjects)
	cfg := DefaultConfig()
	cfg.Tables = []v1change.Table{{Schema: "platform", Name: "organization_workspace", KeyColumn: "id"}}
	s, err := New(cfg, kv)
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) {
		ev := v1change.Event{Schema: "platform", Table: "organization_workspace", Action: v1change.Read,
			Data: map[string]any{"id": "w1", "name": name}, CommitTime: time.Now()}
		data, _ := ev.Encode()
		if _, err := s.Handle(context.Background(), &pipeline.Message{Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	read("a")
	read("a")
	read("b")
	e, err := kv.Get(context.Background(), "platform-organization_workspace.w1")
	if err != nil {
		t.Fatal(err)
	}
	if e.Revision() != 2 || s.Counts()[string(skipUnchanged)] != 1 {
		t.Errorf("rev %d counts %v: want one unchanged skip and two writes", e.Revision(), s.Counts())
	}
}

func TestMalformedAndUnknownArePermanent(t *testing.T) {
	f := newFixture(t)
	noKeyDelete := project(v1change.Delete, "x")
	noKeyDelete.DataOld = map[string]any{"id": 1}
	cases := map[string]struct {
		data   []byte
		reason pipeline.Reason
	}{
		"not json":            {[]byte("{"), ReasonMalformed},
		"no action":           {[]byte(`{"schema":"salesforce","table":"project__c"}`), ReasonMalformed},
		"update without data": {[]byte(`{"schema":"salesforce","table":"project__c","action":"update"}`), ReasonMalformed},
		"unknown table":       {[]byte(`{"schema":"salesforce","table":"account","action":"INSERT","data":{"sfid":"x"}}`), ReasonUnknownTable},
		"delete without key":  {mustEncode(t, noKeyDelete), ReasonUnresolvedDelete},
	}
	for name, c := range cases {
		err := f.handleRaw(c.data)
		if !pipeline.IsPermanent(err) || pipeline.ReasonOf(err) != c.reason {
			t.Errorf("%s: err %v (permanent %v, reason %q), want permanent %q", name, err, pipeline.IsPermanent(err), pipeline.ReasonOf(err), c.reason)
		}
	}
}

func TestTruncateAndKeylessRowsAreAcknowledged(t *testing.T) {
	f := newFixture(t)
	f.mustHandle(v1change.Event{Schema: "salesforce", Table: "project__c", Action: v1change.Truncate})
	f.mustHandle(project(v1change.Insert, "2025-01-06T10:00:00", "sfid", nil))
	c := f.stage.Counts()
	if c[string(ackTruncate)] != 1 || c[string(skipNoKey)] != 1 {
		t.Errorf("counts = %v", c)
	}
}

func mustEncode(t *testing.T, ev v1change.Event) []byte {
	data, err := ev.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return data
}
