package pipeline

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

func TestSourceOrigin(t *testing.T) {
	for _, tc := range []struct {
		header string
		stream string
		seq    uint64
		ok     bool
	}{
		{"V2_INTENTS 42 v2.intents.*.* {{Partition(16,1,2)}}.v2.intents.{{Wildcard(1)}}.{{Wildcard(2)}} v2.intents.project.3", "V2_INTENTS", 42, true},
		{"KV_v1-objects:abc123 7 > >", "KV_v1-objects", 7, true},
		{"V2_INTENTS", "", 0, false},
		{"V2_INTENTS x", "", 0, false},
		{"", "", 0, false},
	} {
		h := nats.Header{}
		if tc.header != "" {
			h.Set(headerStreamSource, tc.header)
		}
		stream, seq, ok := sourceOrigin(h)
		if stream != tc.stream || seq != tc.seq || ok != tc.ok {
			t.Errorf("sourceOrigin(%q) = %q, %d, %v", tc.header, stream, seq, ok)
		}
	}
}

func TestInflightWaitsForEverySequence(t *testing.T) {
	f := newInflight()
	if n := f.wait(context.Background()); n != 0 {
		t.Fatalf("empty set: %d in flight", n)
	}
	f.add(1)
	f.add(2)
	f.add(2) // a redelivery of a held message counts once
	f.done(1)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if n := f.wait(ctx); n != 1 {
		t.Fatalf("after one of two settled: %d in flight, want 1", n)
	}
	go f.done(2)
	if n := f.wait(context.Background()); n != 0 {
		t.Fatalf("after both settled: %d in flight", n)
	}
	f.done(2) // settling twice is harmless
}
