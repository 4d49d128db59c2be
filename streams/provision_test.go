package streams_test

import (
	"context"
	"testing"
	"time"

	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
)

func TestProvisionIsIdempotentAndAppliesChanges(t *testing.T) {
	env := natstest.Start(t)
	ctx := context.Background()
	cfg := streams.DefaultConfig()

	first, err := streams.Provision(ctx, env.JS, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range first {
		if c.Action != streams.Created {
			t.Errorf("first run: %s, want created", c)
		}
	}
	second, err := streams.Provision(ctx, env.JS, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range second {
		if c.Action != streams.Unchanged {
			t.Errorf("second run: %s, want unchanged", c)
		}
	}

	cfg.WorkMaxAge = 3 * 24 * time.Hour
	cfg.AckWait = 45 * time.Second
	third, err := streams.Provision(ctx, env.JS, cfg)
	if err != nil {
		t.Fatal(err)
	}
	updated := map[string]bool{}
	for _, c := range third {
		if c.Action == streams.Updated {
			updated[c.Kind+" "+c.Name] = true
		}
	}
	for _, want := range []string{"stream V1_CHANGES", "stream V2_INTENTS", "consumer V2_INTENTS/write"} {
		if !updated[want] {
			t.Errorf("changed settings: %s not updated (got %v)", want, third)
		}
	}
	info, err := env.JS.Stream(ctx, streams.V2Intents)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.CachedInfo().Config.MaxAge; got != cfg.WorkMaxAge {
		t.Errorf("V2_INTENTS max age = %s, want %s", got, cfg.WorkMaxAge)
	}
}

func TestPartitionIsStableAndSpread(t *testing.T) {
	counts := make([]int, 16)
	for i := range 1600 {
		p := streams.Partition("salesforce-project__c.a0"+string(rune('A'+i%26))+string(rune('a'+i/26)), 16)
		if p != streams.Partition("salesforce-project__c.a0"+string(rune('A'+i%26))+string(rune('a'+i/26)), 16) {
			t.Fatal("partition not stable")
		}
		counts[p]++
	}
	for p, n := range counts {
		if n < 50 || n > 150 {
			t.Errorf("partition %d holds %d of 1600 keys", p, n)
		}
	}
}
