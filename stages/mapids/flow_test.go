package mapids

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/idmap"
	"github.com/linuxfoundation/v1sync/stages/intent"
	"github.com/linuxfoundation/v1sync/streams"
)

// wantWait asserts a transient error that waits for a parent.
func wantWait(t *testing.T, err error, reason pipeline.Reason, after time.Duration) {
	t.Helper()
	gotReason, permanent, gotAfter := errorClass(err)
	if err == nil || permanent || gotReason != reason || gotAfter != after {
		t.Fatalf("error %v: reason %q permanent %v after %s; want transient %q after %s",
			err, gotReason, permanent, gotAfter, reason, after)
	}
}

// wantDead asserts a permanent error with a reason.
func wantDead(t *testing.T, err error, reason pipeline.Reason) {
	t.Helper()
	gotReason, permanent, _ := errorClass(err)
	if err == nil || !permanent || gotReason != reason {
		t.Fatalf("error %v: reason %q permanent %v; want permanent %q", err, gotReason, permanent, reason)
	}
}

func TestCommitteeBeforeItsProject(t *testing.T) {
	h := newHarness(t, Deps{})
	key := prefixCommittee + ".a0D7k00007i95ubEAA"
	h.putSample(prefixCommittee, "a0D7k00007i95ubEAA")

	// The runner retries in place (same delivery): the delay still grows.
	_, err := h.handle(key, 1)
	wantWait(t, err, ReasonParentUnmapped, 2*time.Second)
	if !strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), "project.sfid.a092W0000h8PYh6QAG") {
		t.Errorf("error %q should name the key and the missing mapping", err)
	}
	_, err = h.handle(key, 1)
	wantWait(t, err, ReasonParentUnmapped, 4*time.Second)

	// A pending claim (the project's create is in flight) is not a uid yet.
	if _, err := h.ids.Claim(h.ctx(), idmap.ProjectSFIDKey("a092W0000h8PYh6QAG")); err != nil {
		t.Fatal(err)
	}
	_, err = h.handle(key, 1)
	wantWait(t, err, ReasonParentUnmapped, 8*time.Second)
	// A redelivery after a restart counts its deliveries.
	_, err = h.handle(key, 7)
	wantWait(t, err, ReasonParentUnmapped, time.Minute)

	// Past the bound: dead-lettered, never dropped.
	_, err = h.handle(key, DefaultConfig().ParentMaxDeliveries)
	wantDead(t, err, ReasonParentUnmapped)

	// Once the project is mapped, the redelivered committee maps.
	if err := h.ids.Put(h.ctx(), idmap.ProjectSFIDKey("a092W0000h8PYh6QAG"), "p-open-orbit"); err != nil {
		t.Fatal(err)
	}
	outs, err := h.handle(key, 2)
	if err != nil || len(outs) != 1 {
		t.Fatalf("after the parent landed: %d outputs, %v", len(outs), err)
	}
	it, _ := intent.Unmarshal(outs[0].Data)
	expect(t, it, map[string]any{"project_uid": "p-open-orbit", "base.project_uid": "p-open-orbit"})

	// Another input keeps its own count.
	h.putSample(prefixMember, "a0E9q0000LHMi9KEQT")
	_, err = h.handle(prefixMember+".a0E9q0000LHMi9KEQT", 1)
	wantWait(t, err, ReasonParentUnmapped, 2*time.Second)
}

func TestMemberBeforeItsCommittee(t *testing.T) {
	h := newHarness(t, Deps{})
	key := prefixMember + ".a0E9q0000LHMi9KEQT"
	h.putSample(prefixMember, "a0E9q0000LHMi9KEQT")
	_, err := h.handle(key, 1)
	wantWait(t, err, ReasonParentUnmapped, 2*time.Second)
	h.mapKey(idmap.CommitteeSFIDKey("a0D7k00007i95ubEAA"), "c-tac")
	it, _ := h.intentFor(key)
	expect(t, it, map[string]any{"committee_uid": "c-tac"})
}

func TestChainThatNeverResolvesIsDeadLettered(t *testing.T) {
	h := newHarness(t, Deps{})
	// Orphan Widget's parent does not exist in v1 at all.
	h.putSample(prefixProject, "a092W0000UA0kwYQQR")
	_, err := h.handle(prefixProject+".a092W0000UA0kwYQQR", 10)
	wantDead(t, err, ReasonParentUnmapped)
	// Legal parent missing.
	h.mapAllProjects()
	h.putSample(prefixProject, "a092W000090XxDKQA0")
	_, err = h.handle(prefixProject+".a092W000090XxDKQA0", 1)
	wantWait(t, err, ReasonParentUnmapped, 2*time.Second)
	if !strings.Contains(err.Error(), "legal parent project a092W0000nyK9irQAC") {
		t.Errorf("error %q should name the legal parent", err)
	}
}

func TestTombstonedParentIsNeverAUID(t *testing.T) {
	h := newHarness(t, Deps{})
	h.mapAllProjects()
	h.mapKey(idmap.ProjectSFIDKey("a092W0000LLWINJQQ5"), idmap.Tombstone)
	h.mapKey(idmap.CommitteeSFIDKey("a0D7k0000hRwx0cEAB"), "🪦") // the prior art's old tombstone
	h.putSample(prefixProject, "a092W00005LuTN1QAN")
	h.putSample(prefixCommittee, "a0D7k0000rdsREbEAM")
	h.putSample(prefixMember, "a0E9q0000PxQ2OHEQ0")
	h.put(prefixProject+".legal-child", row{"name": "Legal Child", "slug__c": "legal-child",
		"parent_entity_relationship__c": "a092W0000LLWINJQQ5", "project_status__c": "Active"})

	for _, key := range []string{
		prefixProject + ".a092W00005LuTN1QAN",   // parent project tombstoned
		prefixCommittee + ".a0D7k0000rdsREbEAM", // committee of a deleted project
		prefixMember + ".a0E9q0000PxQ2OHEQ0",    // member of a deleted committee
		prefixProject + ".legal-child",          // legal parent tombstoned
	} {
		outs, err := h.handle(key, 1)
		if len(outs) != 0 {
			t.Errorf("%s: %d outputs; a tombstoned parent must never become a uid", key, len(outs))
		}
		wantDead(t, err, ReasonParentDeleted)
		if strings.Contains(err.Error(), `uid "!del"`) {
			t.Errorf("%s: %v", key, err)
		}
	}
}

func TestLoopGuard(t *testing.T) {
	h := newHarness(t, Deps{})
	h.mapAllProjects()
	h.mapAllCommittees()
	h.putSample(prefixProject, "a092W0000tDXfCkQAL")
	h.putSample(prefixCommittee, "a0D7k0000js12eHEAQ", "49db85c5-d45f-4d2b-9e77-a92dc32aa8b6")
	h.putSample(prefixMember, "a0E9q0000NvqmQAEQY", "72aebdb9-7442-45a3-b551-e78bbee4910a")
	keys := []string{prefixProject + ".a092W0000tDXfCkQAL", prefixCommittee + ".a0D7k0000js12eHEAQ",
		prefixCommittee + ".49db85c5-d45f-4d2b-9e77-a92dc32aa8b6", prefixMember + ".a0E9q0000NvqmQAEQY",
		prefixMember + ".72aebdb9-7442-45a3-b551-e78bbee4910a"}
	for _, key := range keys {
		if outs, err := h.handle(key, 1); err != nil || len(outs) != 0 {
			t.Errorf("%s: %d outputs, %v; want none", key, len(outs), err)
		}
	}
	if got := h.stage.Stats().Snapshot().LoopGuarded; got != uint64(len(keys)) {
		t.Errorf("loop guarded %d, want %d", got, len(keys))
	}
	// Another client's id is not ours.
	other := h.row(prefixProject, "a092W0000jmM4mNQAS")
	h.put(prefixProject+".a092W0000jmM4mNQAS", other)
	if it, _ := h.intentFor(prefixProject + ".a092W0000jmM4mNQAS"); it.Principal != "someotherclient@clients" {
		t.Errorf("principal %q", it.Principal)
	}
	// A deletion authored by v1sync is still a deletion.
	r := h.row(prefixProject, "a092W0000tDXfCkQAL")
	r["isdeleted"] = true
	h.put(prefixProject+".a092W0000tDXfCkQAL", r)
	if it, _ := h.intentFor(prefixProject + ".a092W0000tDXfCkQAL"); it.Op != intent.Delete {
		t.Errorf("op %s, want delete", it.Op)
	}
	// With another client id the same row is an ordinary change.
	cfg := DefaultConfig()
	cfg.ClientID = "someotherclient"
	h.stage = h.newStage(cfg, Deps{})
	if outs, err := h.handle(prefixCommittee+".a0D7k0000js12eHEAQ", 1); err != nil || len(outs) != 1 {
		t.Errorf("client id someotherclient: %d outputs, %v", len(outs), err)
	}
}

func TestDeletes(t *testing.T) {
	h := newHarness(t, Deps{})
	ctx := h.ctx()

	// Salesforce soft delete: isdeleted = true.
	h.putSample(prefixProject, "a092W0000LLWINJQQ5")
	it, msg := h.intentFor(prefixProject + ".a092W0000LLWINJQQ5")
	expect(t, it, map[string]any{"op": "delete", "entity": "project", "v1_id": "a092W0000LLWINJQQ5",
		"base": absent, "principal": "0035e0000mG2vxHAAR"})
	h.checkHeaders(msg, it)

	// Capture's soft delete: _sdc_deleted_at. The editor is the principal
	// only when the edit and the delete are within a second.
	r := h.row(prefixMember, "a0E9q0000LHMi9KEQT")
	r["_sdc_deleted_at"] = "2026-04-29T23:22:48.5Z" // lastmodifieddate 2026-04-29 23:22:47.987654
	h.put(prefixMember+".a0E9q0000LHMi9KEQT", r)
	it, _ = h.intentFor(prefixMember + ".a0E9q0000LHMi9KEQT")
	expect(t, it, map[string]any{"op": "delete", "principal": "0035e0000mG2vxHAAR",
		"committee_sfid": "a0D7k00007i95ubEAA", "contact_sfid": "0035e000007K2QUAA0", "project_sfid": "a092W0000h8PYh6QAG"})
	r["_sdc_deleted_at"] = "2026-04-30 09:00:00"
	h.put(prefixMember+".a0E9q0000LHMi9KEQT", r)
	it, _ = h.intentFor(prefixMember + ".a0E9q0000LHMi9KEQT")
	expect(t, it, map[string]any{"op": "delete", "principal": absent})

	// Soft-deleted committee and a member without a contact.
	h.putSample(prefixCommittee, "a0D7k0000Ga9Yc0EQE")
	it, _ = h.intentFor(prefixCommittee + ".a0D7k0000Ga9Yc0EQE")
	expect(t, it, map[string]any{"op": "delete", "entity": "committee"})
	h.putSample(prefixMember, "a0E9q0000lsvrNBEAY")
	it, _ = h.intentFor(prefixMember + ".a0E9q0000lsvrNBEAY")
	expect(t, it, map[string]any{"op": "delete", "v1_id": "a0E9q0000lsvrNBEAY", "contact_sfid": absent})

	// KV delete and purge: no payload, service principal.
	h.putSample(prefixCommittee, "a0D7k00007i95ubEAA")
	if err := h.objects.Delete(ctx, prefixCommittee+".a0D7k00007i95ubEAA"); err != nil {
		t.Fatal(err)
	}
	it, msg = h.intentFor(prefixCommittee + ".a0D7k00007i95ubEAA")
	expect(t, it, map[string]any{"op": "delete", "principal": absent, "project_sfid": absent})
	h.checkHeaders(msg, it)
	h.putSample(prefixProject, "a092W0000h8PYh6QAG")
	if err := h.objects.Purge(ctx, prefixProject+".a092W0000h8PYh6QAG"); err != nil {
		t.Fatal(err)
	}
	it, _ = h.intentFor(prefixProject + ".a092W0000h8PYh6QAG")
	expect(t, it, map[string]any{"op": "delete", "entity": "project"})

	// A legacy "!del" value in v1-objects is a deletion too.
	if _, err := h.objects.Put(ctx, prefixMember+".legacy", []byte(idmap.Tombstone)); err != nil {
		t.Fatal(err)
	}
	it, _ = h.intentFor(prefixMember + ".legacy")
	expect(t, it, map[string]any{"op": "delete", "v1_id": "legacy"})
	if got := h.stage.Stats().Snapshot().Deletes; got != 8 {
		t.Errorf("deletes counted %d, want 8", got)
	}
}

// checkHeaders: the intent is keyed, on its partition subject, and stamped
// with the KV revision it was built from.
func (h *harness) checkHeaders(msg *pipeline.Message, it intent.Intent) {
	h.t.Helper()
	raw, err := h.stream.GetLastMsgForSubject(h.ctx(), streams.KVSubject(streams.BucketObjects, it.Key))
	if err != nil {
		h.t.Fatal(err)
	}
	if it.SourceRevision != raw.Sequence {
		h.t.Errorf("source revision %d, want the KV revision %d", it.SourceRevision, raw.Sequence)
	}
	if got := msg.Header.Get(streams.HeaderKey); got != it.Key {
		h.t.Errorf("%s header %q, want %q", streams.HeaderKey, got, it.Key)
	}
	if got := msg.Header.Get(streams.HeaderSourceRev); got != strconv.FormatUint(raw.Sequence, 10) {
		h.t.Errorf("%s header %q, want %d", streams.HeaderSourceRev, got, raw.Sequence)
	}
	if want := streams.V2IntentSubject(string(it.Entity), it.Key, 4); msg.Subject != want {
		h.t.Errorf("subject %q, want %q", msg.Subject, want)
	}
}
