package main

import (
	"context"
	"strings"
	"testing"

	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
	"github.com/linuxfoundation/v1sync/test/pgtest"
)

func TestBackfillCommandPublishesAndKeepsDSNSecret(t *testing.T) {
	db := pgtest.Start(t)
	env := natstest.Start(t)
	env.Provision(t, streams.Config{})
	c, out, errOut := testCLI(map[string]string{envV1DSN: db.DSN})
	err := c.dispatch(context.Background(), []string{"backfill", "--nats-url", env.URL, "--full", "--tables", "salesforce.project__c"})
	if err != nil {
		t.Fatalf("backfill: %v\n%s", err, errOut)
	}
	if !strings.Contains(out.String(), "salesforce.project__c") || !strings.Contains(out.String(), "45 published") {
		t.Errorf("summary: %s", out)
	}
	if strings.Contains(out.String()+errOut.String(), db.DSN) {
		t.Error("the connection string was printed")
	}
	s, err := env.JS.Stream(context.Background(), streams.V1Changes)
	if err != nil || s.CachedInfo().State.Msgs != 45 {
		t.Fatalf("V1_CHANGES: %v, %+v", err, s.CachedInfo().State)
	}
}

func TestBackfillCommandRejectsBadInput(t *testing.T) {
	cases := map[string][]string{
		"unknown table":  {"--tables", "salesforce.nope"},
		"bad since":      {"--since", "last week"},
		"full and since": {"--full", "--since", "2025-01-01"},
	}
	for name, args := range cases {
		c, _, _ := testCLI(map[string]string{envV1DSN: "postgres://u:secret@127.0.0.1:1/db"})
		err := c.dispatch(context.Background(), append([]string{"backfill", "--nats-url", "nats://127.0.0.1:1"}, args...))
		if err == nil || strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: err %v", name, err)
		}
	}
	c, _, _ := testCLI(nil)
	if err := c.dispatch(context.Background(), []string{"backfill", "--nats-url", "nats://127.0.0.1:1"}); err == nil || !strings.Contains(err.Error(), envV1DSN) {
		t.Errorf("missing DSN: %v", err)
	}
}
