package mapids

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/streams"
)

// BenchmarkHandle times one Handle call per entity on the embedded server;
// each makes the KV reads its rules need (parent mapping, staff rows, the
// parent chain for "public"). Run: go test -bench Handle -run '^$' ./stages/mapids/
func BenchmarkHandle(b *testing.B) {
	for _, c := range []struct{ name, prefix, sfid string }{
		{"project-level2-staff", prefixProject, "a092W0000jhC0VIQA0"},
		{"project-level3", prefixProject, "a092W00009xfB7HQAU"},
		{"committee", prefixCommittee, "a0D7k00007i95ubEAA"},
		{"member", prefixMember, "a0E9q0000LHMi9KEQT"},
	} {
		b.Run(c.name, func(b *testing.B) {
			h := benchHarness(b)
			key := c.prefix + "." + c.sfid
			raw, err := h.stream.GetLastMsgForSubject(context.Background(), streams.KVSubject(streams.BucketObjects, key))
			if err != nil {
				b.Fatal(err)
			}
			in := &pipeline.Message{Subject: raw.Subject, Header: nats.Header{}, Data: raw.Data,
				Stream: streams.KVStream(streams.BucketObjects), Seq: raw.Sequence, Deliveries: 1}
			ctx := context.Background()
			b.ResetTimer()
			for b.Loop() {
				if outs, err := h.stage.Handle(ctx, in); err != nil || len(outs) != 1 {
					b.Fatalf("%d outputs, %v", len(outs), err)
				}
			}
		})
	}
}

func benchHarness(b *testing.B) *harness {
	b.Helper()
	h := newHarness(b, Deps{})
	h.putAllSample(prefixProject, prefixCommittee, prefixMember, prefixMergedUser)
	h.mapAllProjects()
	h.mapAllCommittees()
	return h
}
