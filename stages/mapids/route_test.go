package mapids

import (
	"testing"
	"time"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/streams"
)

func TestRoutingOutcomes(t *testing.T) {
	h := newHarness(t, Deps{})
	ctx := h.ctx()
	put := func(key string, value []byte) {
		t.Helper()
		if _, err := h.objects.Put(ctx, key, value); err != nil {
			t.Fatal(err)
		}
	}
	// msgpack-looking bytes: pass-through rows are never decoded.
	put("itx-zoom-meetings-v2.123", []byte{0x82, 0xa2, 0x69, 0x64})
	put("salesforce-merged_user.0035e000007K2QUAA0", []byte(`{"sfid":"0035e000007K2QUAA0"}`))
	put("salesforce-account.0014x0000eNCBLcAAP", []byte(`{"sfid":"0014x0000eNCBLcAAP"}`))
	put("platform-unknown_table.1", []byte(`{}`))
	put(prefixProject+".empty", nil)
	put(prefixProject, []byte(`{"sfid":"x"}`)) // a key with no id
	put(prefixCommittee+".broken", []byte(`{"sfid":`))
	h.put(prefixMember+".a0E9q0000xUBr4yEAD", h.row(prefixMember, "a0E9q0000xUBr4yEAD")) // email ''
	h.put(prefixMember+".a0E9q0000KduKylEQE", h.row(prefixMember, "a0E9q0000KduKylEQE")) // email NULL
	h.put(prefixMember+".a0E9q0000H4B8DLEQ0", h.row(prefixMember, "a0E9q0000H4B8DLEQ0")) // email '   '

	for _, key := range []string{"itx-zoom-meetings-v2.123", "salesforce-merged_user.0035e000007K2QUAA0",
		"salesforce-account.0014x0000eNCBLcAAP", "platform-unknown_table.1", prefixProject + ".empty", prefixProject,
		prefixMember + ".a0E9q0000xUBr4yEAD", prefixMember + ".a0E9q0000KduKylEQE", prefixMember + ".a0E9q0000H4B8DLEQ0"} {
		if outs, err := h.handle(key, 1); err != nil || len(outs) != 0 {
			t.Errorf("%s: %d outputs, %v; want acked without output", key, len(outs), err)
		}
	}
	_, err := h.handle(prefixCommittee+".broken", 1)
	wantDead(t, err, ReasonMalformed)

	got := h.stage.Stats().Snapshot()
	want := StatsSnapshot{PassThrough: 2, UnknownPrefix: 2, Empty: 2, Skipped: 3}
	if got != want {
		t.Errorf("stats %+v, want %+v", got, want)
	}
	// A subject outside the bucket is a malformed input, not a panic.
	_, err = h.stage.Handle(ctx, &pipeline.Message{Subject: "v1.changes.x", Deliveries: 1})
	wantDead(t, err, ReasonMalformed)
}

func TestRootLookup(t *testing.T) {
	h := newHarness(t, Deps{})
	h.putSample(prefixProject, "a092W0000uIINFIQA5", "a092W0000RqzyFqQQI")
	for _, sfid := range []string{"a092W0000uIINFIQA5", "a092W0000RqzyFqQQI"} {
		it, _ := h.intentFor(prefixProject + "." + sfid)
		expect(t, it, map[string]any{"base.parent_uid": rootUID})
	}
	if n := h.rootAsks.Load(); n != 1 {
		t.Errorf("slug_to_uid asked %d times, want 1 (cached)", n)
	}
	// The project service does not know the slug: wait, then dead-letter.
	cfg := DefaultConfig()
	cfg.RootSlug = "NO-SUCH-ROOT"
	h.stage = h.newStage(cfg, Deps{})
	_, err := h.handle(prefixProject+".a092W0000uIINFIQA5", 1)
	wantWait(t, err, ReasonRootUnresolved, 2*time.Second)
	_, err = h.handle(prefixProject+".a092W0000uIINFIQA5", cfg.ParentMaxDeliveries)
	wantDead(t, err, ReasonRootUnresolved)
}

func TestStageName(t *testing.T) {
	var s pipeline.Stage = &Stage{}
	if s.Name() != streams.StageMap {
		t.Errorf("name %q", s.Name())
	}
}
