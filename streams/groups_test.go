package streams_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
)

func TestProvisionGroupsIsIdempotent(t *testing.T) {
	env := natstest.Start(t)
	env.Provision(t, streams.Config{})
	ctx := context.Background()
	cfg := streams.DefaultConfig()
	stages := []string{streams.StageNormalize, streams.StageMap, streams.StageWrite}

	first, err := streams.ProvisionGroups(ctx, env.JS, cfg, stages...)
	if err != nil {
		t.Fatal(err)
	}
	second, err := streams.ProvisionGroups(ctx, env.JS, cfg, stages...)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 4 || len(second) != 4 {
		t.Fatalf("changes: %v then %v, want the bucket and three groups", first, second)
	}
	for i := range first {
		if first[i].Action != streams.Created || second[i].Action != streams.Unchanged {
			t.Errorf("%s then %s, want created then unchanged", first[i], second[i])
		}
	}
	for _, want := range []string{"V1_CHANGES-normalize", "KV_v1-objects-map", "V2_INTENTS-write"} {
		if _, err := env.JS.Stream(ctx, want); err != nil {
			t.Errorf("group stream %s: %v", want, err)
		}
	}
	_, err = streams.ProvisionGroups(ctx, env.JS, cfg, streams.StageReverse)
	if err == nil || !strings.Contains(err.Error(), "no consumer group") {
		t.Errorf("reverse stage: %v, want a clear error", err)
	}
	cfg.Partitions = 8
	if _, err := streams.ProvisionGroups(ctx, env.JS, cfg, streams.StageWrite); err == nil {
		t.Error("changing a group's partitions in place succeeded")
	}
}

// The map group sources the KV stream directly; keys whose id holds dots
// must be sourced too, and every key must land in exactly one partition.
func TestMapGroupSourcesEveryObjectKey(t *testing.T) {
	env := natstest.Start(t)
	env.Provision(t, streams.Config{})
	ctx := context.Background()
	if _, err := streams.ProvisionGroups(ctx, env.JS, streams.DefaultConfig(), streams.StageMap); err != nil {
		t.Fatal(err)
	}
	kv := env.KV(t, streams.BucketObjects)
	keys := []string{"platform-committee.a0x1.y2"}
	for i := range 40 {
		keys = append(keys, fmt.Sprintf("salesforce-project__c.a0%03d", i))
	}
	for _, k := range keys {
		for rev := range 2 {
			if _, err := kv.PutString(ctx, k, fmt.Sprint(rev)); err != nil {
				t.Fatal(err)
			}
		}
	}
	wq := streams.GroupStream(streams.KVStream(streams.BucketObjects), streams.StageMap)
	partitionOf := map[string]string{}
	natstest.Eventually(t, 10*time.Second, "every put sourced into "+wq, func() bool {
		partitionOf = sourcedPartitions(t, env.JS, wq)
		return len(partitionOf) == len(keys)
	})
	if p := partitionOf["platform-committee.a0x1.y2"]; p == "" {
		t.Error("key with a dotted id was not sourced")
	}
}

// sourcedPartitions reads the work queue and returns each key's partition
// token, failing if a key appears in two partitions.
func sourcedPartitions(t *testing.T, js jetstream.JetStream, stream string) map[string]string {
	t.Helper()
	s, err := js.Stream(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for seq := uint64(1); seq <= s.CachedInfo().State.LastSeq; seq++ {
		m, err := s.GetMsg(context.Background(), seq)
		if err != nil {
			t.Fatal(err)
		}
		part, subj, _ := strings.Cut(m.Subject, ".")
		key := streams.KVKey(streams.BucketObjects, subj)
		if prev, ok := out[key]; ok && prev != part {
			t.Fatalf("key %s in partitions %s and %s", key, prev, part)
		}
		out[key] = part
	}
	return out
}
