package walbridge_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/ingest"
	"github.com/linuxfoundation/v1sync/stages/normalize"
	"github.com/linuxfoundation/v1sync/stages/v1change"
	"github.com/linuxfoundation/v1sync/stages/walbridge"
	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
	"github.com/linuxfoundation/v1sync/test/pgtest"
)

// run runs stage on the durable consumer stream/durable until the test ends.
func run(t *testing.T, env *natstest.Env, stage pipeline.Stage, stream, durable string) {
	t.Helper()
	runner, err := pipeline.NewRunner(pipeline.DefaultConfig(), stage, env.JS)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cons, err := env.JS.Consumer(ctx, stream, durable)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = runner.Run(ctx, cons) }()
	t.Cleanup(func() { cancel(); <-done })
}

func runNormalize(t *testing.T, env *natstest.Env) jetstream.KeyValue {
	kv := env.KV(t, streams.BucketObjects)
	st, err := normalize.New(normalize.DefaultConfig(), kv)
	if err != nil {
		t.Fatal(err)
	}
	run(t, env, st, streams.V1Changes, streams.StageNormalize)
	return kv
}

// bridgeEnv is a server with the topology, wal-listener's stream, and the
// bridge running.
func bridgeEnv(t *testing.T) *natstest.Env {
	env := natstest.Start(t)
	env.Provision(t, streams.Config{})
	ctx := context.Background()
	if _, err := env.JS.CreateStream(ctx, streams.WALListenerStreamConfig()); err != nil {
		t.Fatal(err)
	}
	if _, err := streams.ProvisionWALBridge(ctx, env.JS, streams.DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	st, err := walbridge.New(walbridge.DefaultConfig(), env.KV(t, streams.BucketState))
	if err != nil {
		t.Fatal(err)
	}
	run(t, env, st, streams.WALListenerStream, streams.StageWALBridge)
	return env
}

func streamEvents(t *testing.T, js jetstream.JetStream, stream string) []jetstream.RawStreamMsg {
	t.Helper()
	ctx := context.Background()
	st, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, *m)
	}
	return out
}

func decodeAll(t *testing.T, msgs []jetstream.RawStreamMsg) map[string]v1change.Event {
	out := map[string]v1change.Event{}
	for _, m := range msgs {
		ev, err := v1change.Decode(m.Data)
		if err != nil {
			t.Fatal(err)
		}
		out[ev.ID] = ev
	}
	return out
}

// walListenerJSON renders a change the way wal-listener publishes it: no
// LSN, no key, its own id.
func walListenerJSON(t *testing.T, ev v1change.Event) []byte {
	b, err := json.Marshal(map[string]any{
		"id": ev.ID, "schema": ev.Schema, "table": ev.Table, "action": string(ev.Action),
		"data": ev.Data, "dataOld": ev.DataOld, "commitTime": ev.CommitTime,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBridgeMatchesNativeCapture(t *testing.T) {
	db := pgtest.Start(t, pgtest.WithoutSample())
	native := natstest.Start(t)
	native.Provision(t, streams.Config{})
	cfg := ingest.DefaultConfig()
	cfg.DSN, cfg.Durability, cfg.StatusInterval = db.DSN, 0, 100*time.Millisecond
	src, err := ingest.New(cfg, native.JS)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = src.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	natstest.Eventually(t, 30*time.Second, "ingest streaming", func() bool { return src.Ready() == nil })
	nativeKV := runNormalize(t, native)
	bridged := bridgeEnv(t)
	bridgedKV := runNormalize(t, bridged)

	db.Exec(t, `INSERT INTO salesforce.project__c (sfid, name, slug__c, auto_join_enabled__c, lastmodifieddate, systemmodstamp)
		VALUES ('a092W0000Zz5TestAA', 'Bridge', 'bridge', true, '2026-07-01 10:00:00.123456', '2026-07-01 10:00:00.123456')`)
	db.Exec(t, `INSERT INTO salesforce.merged_user (sfid, username__c, firstname, lastmodifieddate) VALUES ('0035e0000Zz5TestAA', 'heron', 'Zoë', '2026-07-01 10:00:00')`)
	db.Exec(t, `INSERT INTO salesforce.merged_user (sfid, username__c, lastmodifieddate) VALUES ('0035e0000Zz6TestAA', 'gone', '2026-07-01 10:00:00')`)
	db.Exec(t, `UPDATE salesforce.project__c SET name = 'Bridge 2', lastmodifieddate = '2026-07-02 10:00:00', systemmodstamp = '2026-07-02 10:00:00' WHERE sfid = 'a092W0000Zz5TestAA'`)
	db.Exec(t, `DELETE FROM salesforce.merged_user WHERE sfid = '0035e0000Zz6TestAA'`)

	var nativeMsgs []jetstream.RawStreamMsg
	natstest.Eventually(t, 30*time.Second, "5 native events", func() bool {
		nativeMsgs = streamEvents(t, native.JS, streams.V1Changes)
		return len(nativeMsgs) == 5
	})
	for _, m := range nativeMsgs {
		ev, err := v1change.Decode(m.Data)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bridged.JS.Publish(ctx, "wal_listener."+ev.Schema+"_"+ev.Table, walListenerJSON(t, ev)); err != nil {
			t.Fatal(err)
		}
	}
	var bridgedMsgs []jetstream.RawStreamMsg
	natstest.Eventually(t, 30*time.Second, "5 bridged events", func() bool {
		bridgedMsgs = streamEvents(t, bridged.JS, streams.V1Changes)
		return len(bridgedMsgs) == 5
	})
	nat, bri := decodeAll(t, nativeMsgs), decodeAll(t, bridgedMsgs)
	for id, want := range nat {
		got, ok := bri[walbridge.IDPrefix+id]
		if !ok {
			t.Fatalf("no bridged event for %s", id)
		}
		want.ID, want.LSN, got.ID = "", "", ""
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("bridged event differs:\nnative  %+v\nbridged %+v", want, got)
		}
	}
	for _, key := range []string{"salesforce-project__c.a092W0000Zz5TestAA", "salesforce-merged_user.0035e0000Zz5TestAA", "salesforce-merged_user.0035e0000Zz6TestAA"} {
		natstest.Eventually(t, 30*time.Second, "same v1-objects row "+key, func() bool {
			return sameRow(objectRow(t, nativeKV, key), objectRow(t, bridgedKV, key))
		})
	}
	if row := objectRow(t, bridgedKV, "salesforce-merged_user.0035e0000Zz6TestAA"); row["_sdc_deleted_at"] == nil {
		t.Fatalf("bridged delete not applied: %v", row)
	}
}

func objectRow(t *testing.T, kv jetstream.KeyValue, key string) map[string]any {
	e, err := kv.Get(context.Background(), key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var row map[string]any
	if err := json.Unmarshal(e.Value(), &row); err != nil {
		t.Fatal(err)
	}
	delete(row, "_sdc_received_at") // wall clock at write time
	return row
}

func sameRow(a, b map[string]any) bool {
	if a == nil || b == nil {
		return false
	}
	if a["_sdc_deleted_at"] != nil || b["_sdc_deleted_at"] != nil {
		return a["_sdc_deleted_at"] != nil && b["_sdc_deleted_at"] != nil && a["name"] == b["name"]
	}
	return reflect.DeepEqual(a, b)
}

func TestMalformedEventsAreDeadLettered(t *testing.T) {
	env := bridgeEnv(t)
	ctx := context.Background()
	bad := map[string]pipeline.Reason{
		`{not json`: walbridge.ReasonMalformed,
		`{"id":"x1","schema":"salesforce","action":"INSERT","data":{}}`:                                  walbridge.ReasonMalformed,
		`{"id":"x2","schema":"salesforce","table":"project__c","action":"UPSERT","data":{}}`:             walbridge.ReasonMalformed,
		`{"id":"x3","schema":"salesforce","table":"opportunity","action":"INSERT","data":{}}`:            walbridge.ReasonUnknownTable,
		`{"id":"x4","schema":"salesforce","table":"project__c","action":"DELETE","dataOld":{"id":4242}}`: walbridge.ReasonDeleteKey,
	}
	for body := range bad {
		if _, err := env.JS.Publish(ctx, "wal_listener.salesforce_project__c", []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	good := `{"id":"ok1","schema":"salesforce","table":"project__c","action":"insert","data":{"id":1,"sfid":"a092W0000Zz7TestAA","name":"ok"},"commitTime":"2026-07-01T10:00:00Z"}`
	if _, err := env.JS.Publish(ctx, "wal_listener.salesforce_project__c", []byte(good)); err != nil {
		t.Fatal(err)
	}
	var dead []jetstream.RawStreamMsg
	natstest.Eventually(t, 30*time.Second, "dead letters and the good event", func() bool {
		dead = streamEvents(t, env.JS, streams.DLQ)
		return len(dead) == len(bad) && len(streamEvents(t, env.JS, streams.V1Changes)) == 1
	})
	for _, m := range dead {
		want := bad[string(m.Data)]
		if got := m.Header.Get(streams.HeaderDLQReason); got != string(want) {
			t.Errorf("%s: reason %q, want %q (error %q)", m.Data, got, want, m.Header.Get(streams.HeaderDLQError))
		}
	}
}
