package ingest

import (
	"crypto/rand"
	"encoding/hex"
	"slices"
	"testing"
	"time"

	"github.com/linuxfoundation/v1sync/stages/v1change"
	"github.com/linuxfoundation/v1sync/test/natstest"
	"github.com/linuxfoundation/v1sync/test/pgtest"
)

const (
	newSfid    = "a092W0000Zz9TestAA"
	sampleSfid = "a092W0000jmM4mNQAS" // lattice-mesh, a sample row
)

func bigText(t *testing.T) string {
	b := make([]byte, 20000)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b) // 40 kB that compresses poorly: stored out of line
}

func TestCaptureInsertUpdateDeleteIntoObjects(t *testing.T) {
	r := newRig(t)
	r.start()
	kv := r.runNormalize()
	desc := bigText(t)
	r.db.Exec(t, `INSERT INTO salesforce.project__c (sfid, name, slug__c, description__c, lastmodifieddate, systemmodstamp)
		VALUES ($1, 'Toast Project', 'toast', $2, '2026-07-01 10:00:00', '2026-07-01 10:00:00')`, newSfid, desc)
	r.db.Exec(t, `UPDATE salesforce.project__c SET name = 'Toast Project 2', lastmodifieddate = '2026-07-01 11:00:00', systemmodstamp = '2026-07-01 11:00:00' WHERE sfid = $1`, newSfid)
	r.db.Exec(t, `DELETE FROM salesforce.project__c WHERE sfid = $1`, sampleSfid)

	evs := r.waitEvents(3)
	ins, upd, del := evs[0], evs[1], evs[2]
	key := v1change.ObjectKey("salesforce", "project__c", newSfid)
	if ins.Action != v1change.Insert || ins.Key != key || ins.Data["description__c"] != desc || ins.LSN == "" {
		t.Fatalf("insert event: %+v", ins.Key)
	}
	if upd.Action != v1change.Update || upd.Key != key || upd.Data["name"] != "Toast Project 2" {
		t.Fatalf("update event: action %s key %s name %v", upd.Action, upd.Key, upd.Data["name"])
	}
	if _, present := upd.Data["description__c"]; present || !slices.Contains(upd.UnchangedToast, "description__c") {
		t.Fatalf("unchanged TOAST column must be listed and absent, got unchangedToast=%v", upd.UnchangedToast)
	}
	if upd.Data["lastmodifieddate"] != "2026-07-01T11:00:00Z" {
		t.Fatalf("timestamp typed as wal-listener does: %v", upd.Data["lastmodifieddate"])
	}
	// Default replica identity: the delete carries only id; the key comes
	// from the id index seeded when the slot was created.
	if del.Action != v1change.Delete || del.Key != v1change.ObjectKey("salesforce", "project__c", sampleSfid) {
		t.Fatalf("delete event: action %s key %q dataOld %v", del.Action, del.Key, del.DataOld)
	}
	if _, hasSfid := del.DataOld["sfid"]; hasSfid {
		t.Fatalf("delete under default identity unexpectedly carried sfid: %v", del.DataOld)
	}

	natstest.Eventually(t, 30*time.Second, "toast row updated in v1-objects", func() bool {
		row := object(t, kv, key)
		return row != nil && row["name"] == "Toast Project 2"
	})
	if row := object(t, kv, key); row["description__c"] != desc {
		t.Fatalf("TOASTed description lost in v1-objects: %d chars", len(row["description__c"].(string)))
	}
}

func TestDeleteOfRowInsertedWhileRunningResolvesKey(t *testing.T) {
	r := newRig(t, pgtest.WithoutSample())
	r.start()
	kv := r.runNormalize()
	r.db.Exec(t, `INSERT INTO platform.collaboration__c (sfid, name, mailing_list__c, lastmodifieddate) VALUES ('a0D7k0000Zz1TestAA', 'COL-1', 'tsc', '2026-07-01 10:00:00')`)
	key := v1change.ObjectKey("platform", "collaboration__c", "a0D7k0000Zz1TestAA")
	natstest.Eventually(t, 30*time.Second, "row in v1-objects", func() bool { return object(t, kv, key) != nil })
	r.db.Exec(t, `DELETE FROM platform.collaboration__c WHERE sfid = 'a0D7k0000Zz1TestAA'`)
	natstest.Eventually(t, 30*time.Second, "row soft-deleted in v1-objects", func() bool {
		row := object(t, kv, key)
		return row != nil && row["_sdc_deleted_at"] != nil
	})
}

func TestReplicaIdentityFullDeletesCarryKey(t *testing.T) {
	r := newRig(t, pgtest.WithoutSample())
	r.db.Exec(t, `ALTER TABLE salesforce.merged_user REPLICA IDENTITY FULL`)
	r.start()
	r.db.Exec(t, `INSERT INTO salesforce.merged_user (sfid, username__c) VALUES ('0035e0000Zz1TestAA', 'kestrel')`)
	r.db.Exec(t, `DELETE FROM salesforce.merged_user WHERE sfid = '0035e0000Zz1TestAA'`)
	evs := r.waitEvents(2)
	if evs[1].DataOld["sfid"] != "0035e0000Zz1TestAA" || evs[1].Key != "salesforce-merged_user.0035e0000Zz1TestAA" {
		t.Fatalf("delete: %+v", evs[1])
	}
}
