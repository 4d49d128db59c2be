package mapids

import (
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

func TestDecodeRowJSONAndMsgpack(t *testing.T) {
	data, err := msgpack.Marshal(map[string]any{
		"sfid": "a092W0000h8PYh6QAG", "name": "Open Orbit Foundation", "auto_join_enabled__c": true,
		"parent_project__c": nil, "start_date__c": time.Date(2019, 3, 1, 0, 0, 0, 0, time.UTC), "n": 7,
	})
	if err != nil {
		t.Fatal(err)
	}
	r, err := decodeRow(data)
	if err != nil {
		t.Fatal(err)
	}
	if r.str("name") != "Open Orbit Foundation" || dateOnly(r.str("start_date__c")) != "2019-03-01" {
		t.Errorf("msgpack row %v", r)
	}
	if v, ok := r.boolean("auto_join_enabled__c"); !v || !ok {
		t.Errorf("bool %v %v", v, ok)
	}
	if _, err := decodeRow([]byte(`{"sfid":"x"}`)); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{`null`, `{"sfid":`, "\xc1"} {
		if _, err := decodeRow([]byte(bad)); err == nil {
			t.Errorf("decodeRow(%q): want an error", bad)
		}
	}
}

func TestMsgpackRowThroughTheStage(t *testing.T) {
	h := newHarness(t, Deps{})
	h.mapAllProjects()
	r := h.row(prefixCommittee, "a0D7k00007i95ubEAA")
	data, err := msgpack.Marshal(map[string]any(r))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.objects.Put(h.ctx(), prefixCommittee+".a0D7k00007i95ubEAA", data); err != nil {
		t.Fatal(err)
	}
	it, _ := h.intentFor(prefixCommittee + ".a0D7k00007i95ubEAA")
	expect(t, it, map[string]any{"base.name": "Open Orbit TAC", "base.category": "Technical Advisory Committee"})
}
