package normalize

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/v1change"
	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
)

// Through the real runner: a malformed change is dead-lettered with its
// reason, and the changes after it are still applied.
func TestRunnerDeadLettersMalformedAndContinues(t *testing.T) {
	env := natstest.Start(t)
	env.Provision(t, streams.Config{})
	kv := env.KV(t, streams.BucketObjects)
	stage, err := New(DefaultConfig(), kv)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r, err := pipeline.NewRunner(pipeline.DefaultConfig(), stage, env.JS)
	if err != nil {
		t.Fatal(err)
	}
	cons, err := env.JS.Consumer(ctx, streams.V1Changes, streams.StageNormalize)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, cons) }()
	t.Cleanup(func() { cancel(); <-done })

	subj := streams.V1ChangeSubject("salesforce", "project__c", projectKey, streams.DefaultConfig().Partitions)
	publish := func(id string, data []byte) {
		m := &nats.Msg{Subject: subj, Data: data, Header: nats.Header{}}
		m.Header.Set(streams.HeaderKey, projectKey)
		if _, err := env.JS.PublishMsg(ctx, m, jetstream.WithMsgID(id)); err != nil {
			t.Fatal(err)
		}
	}
	publish("bad", []byte(`{"schema":"salesforce","table":"project__c","action":"UPSERT"}`))
	publish("unknown", []byte(`{"schema":"salesforce","table":"account","action":"INSERT","data":{"sfid":"x"}}`))
	publish("good", mustEncode(t, project(v1change.Insert, "2025-01-06T10:00:00")))

	natstest.Eventually(t, 20*time.Second, "the valid change after the malformed ones", func() bool {
		_, err := kv.Get(ctx, projectKey)
		return err == nil
	})
	natstest.Eventually(t, 20*time.Second, "two dead letters", func() bool {
		s, err := env.JS.Stream(ctx, streams.DLQ)
		return err == nil && s.CachedInfo().State.Msgs == 2
	})
	dlq, err := env.JS.Stream(ctx, streams.DLQ)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{string(ReasonMalformed): false, string(ReasonUnknownTable): false}
	for seq := uint64(1); seq <= 2; seq++ {
		m, err := dlq.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		if m.Header.Get(streams.HeaderDLQStage) != streams.StageNormalize {
			t.Errorf("dead letter %d: stage %q", seq, m.Header.Get(streams.HeaderDLQStage))
		}
		want[m.Header.Get(streams.HeaderDLQReason)] = true
	}
	for reason, seen := range want {
		if !seen {
			t.Errorf("no dead letter with reason %q", reason)
		}
	}
}
