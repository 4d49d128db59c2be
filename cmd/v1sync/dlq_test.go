package main

import (
	"context"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
)

func TestDLQListAndRedrive(t *testing.T) {
	env := natstest.Start(t)
	settings := map[string]string{"V1SYNC_NATS_URL": env.URL}
	dlq := func(args ...string) (string, error) {
		c, out, _ := testCLI(settings)
		err := c.dispatch(context.Background(), append([]string{"dlq"}, args...))
		return out.String(), err
	}
	c, _, _ := testCLI(settings)
	if err := c.dispatch(context.Background(), []string{"provision", "--partitions", "4"}); err != nil {
		t.Fatal(err)
	}
	orig := streams.V2IntentSubject("project", "salesforce-project__c.a09x", 4)
	m := nats.NewMsg(streams.DLQSubject(streams.StageWrite, orig))
	m.Data = []byte(`{"op":"upsert"}`)
	for k, v := range map[string]string{streams.HeaderDLQStage: streams.StageWrite, streams.HeaderDLQReason: "v2-rejected",
		streams.HeaderDLQSubject: orig, streams.HeaderDLQStream: streams.V2Intents, streams.HeaderDLQSeq: "7",
		streams.HeaderDLQError: "v2 POST /projects: 400", streams.HeaderKey: "salesforce-project__c.a09x",
		streams.HeaderDLQFailedAt: "2026-12-04T06:00:00Z"} {
		m.Header.Set(k, v)
	}
	if _, err := env.JS.PublishMsg(context.Background(), m); err != nil {
		t.Fatal(err)
	}

	out, err := dlq("list")
	if err != nil || !strings.Contains(out, "1\twrite\tv2-rejected\tsalesforce-project__c.a09x\t2026-12-04T06:00:00Z\tv2 POST /projects: 400") ||
		!strings.Contains(out, "1 dead letters") {
		t.Fatalf("dlq list: %v\n%s", err, out)
	}
	if out, err := dlq("redrive", "--stage", "map"); err != nil || !strings.Contains(out, "no dead letters selected") {
		t.Errorf("redrive of another stage: %v\n%s", err, out)
	}
	if out, err := dlq("redrive", "--stage", "write", "--dry-run"); err != nil || !strings.Contains(out, "would redrive 1") {
		t.Errorf("dry run: %v\n%s", err, out)
	}
	if n := env.Msgs(t, streams.DLQ); n != 1 {
		t.Fatalf("a dry run changed the DLQ: %d messages", n)
	}
	if out, err := dlq("redrive", "--stage", "write", "--seq", "1"); err != nil || !strings.Contains(out, "redriven 1") {
		t.Fatalf("redrive: %v\n%s", err, out)
	}
	if env.Msgs(t, streams.DLQ) != 0 || env.Msgs(t, streams.V2Intents) != 1 {
		t.Errorf("after the redrive: DLQ %d, %s %d; want 0 and 1",
			env.Msgs(t, streams.DLQ), streams.V2Intents, env.Msgs(t, streams.V2Intents))
	}
	if _, err := dlq("redrive", "--seq", "x"); err == nil {
		t.Error("a bad --seq must be refused")
	}
	if _, err := dlq("purge"); err == nil || !strings.Contains(err.Error(), "dlq list") {
		t.Errorf("unknown action: %v", err)
	}
}
