package mapids

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"sort"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/intents.golden.jsonl")

// TestGoldenIntents maps every project, committee and member row of the
// sample (parents mapped, deleted parents tombstoned) and compares the
// outcomes, one JSON line per row, with testdata/intents.golden.jsonl.
// Review a diff of that file when a mapping rule changes; -update rewrites it.
func TestGoldenIntents(t *testing.T) {
	h := rulesHarness(t)
	var got bytes.Buffer
	for _, prefix := range []string{prefixProject, prefixCommittee, prefixMember} {
		ids := make([]string, 0, len(h.sample[prefix]))
		for id := range h.sample[prefix] {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			got.Write(outcomeLine(t, h, prefix+"."+id))
			got.WriteByte('\n')
		}
	}
	const path = "testdata/intents.golden.jsonl"
	if *update {
		if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	gotLines, wantLines := bytes.Split(got.Bytes(), []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := range max(len(gotLines), len(wantLines)) {
		var g, w []byte
		if i < len(gotLines) {
			g = gotLines[i]
		}
		if i < len(wantLines) {
			w = wantLines[i]
		}
		if !bytes.Equal(g, w) {
			t.Errorf("line %d differs:\n got  %s\n want %s", i+1, g, w)
		}
	}
}

// outcomeLine is the intent of one row without its source revision (which
// depends on load order), or its error class, or "none".
func outcomeLine(t *testing.T, h *harness, key string) []byte {
	outs, err := h.handle(key, 1)
	line := map[string]any{"key": key}
	switch {
	case err != nil:
		reason, permanent, after := errorClass(err)
		line["error"], line["reason"], line["permanent"], line["retry_after"] = err.Error(), reason, permanent, after.String()
	case len(outs) == 0:
		line["outcome"] = "none"
	default:
		var it map[string]any
		if err := json.Unmarshal(outs[0].Data, &it); err != nil {
			t.Fatal(err)
		}
		delete(it, "source_revision")
		line["intent"], line["subject"] = it, outs[0].Subject
	}
	data, err := json.Marshal(line)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
