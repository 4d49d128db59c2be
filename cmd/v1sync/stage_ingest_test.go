package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
	"github.com/linuxfoundation/v1sync/test/pgtest"
)

func ingestDeps(t *testing.T, env *natstest.Env, settings map[string]string) stageDeps {
	return stageDeps{NC: env.NC, JS: env.JS, Topology: streams.DefaultConfig(), Log: zerolog.Nop(),
		Env: func(k string) string { return settings[k] }}
}

func runSource(t *testing.T, src source) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

func storedChanges(t *testing.T, env *natstest.Env) uint64 {
	st, err := env.JS.Stream(context.Background(), streams.V1Changes)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

func TestIngestSettingsAreChecked(t *testing.T) {
	env := natstest.Start(t)
	env.Provision(t, streams.Config{})
	for settings, want := range map[[2]string]string{
		{envIngestSource, "kafka"}:       envIngestSource,
		{envV1Tables, "salesforce.nope"}: "not a known table",
		{envIngestSource, "postgres"}:    envV1DSN,
	} {
		_, err := buildIngest(ingestDeps(t, env, map[string]string{settings[0]: settings[1]}))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s=%s: error %v, want one naming %q", settings[0], settings[1], err, want)
		}
	}
}

func TestIngestCapturesFromPostgres(t *testing.T) {
	db := pgtest.Start(t, pgtest.WithoutSample())
	env := natstest.Start(t)
	env.Provision(t, streams.Config{})
	src, err := buildIngest(ingestDeps(t, env, map[string]string{envV1DSN: db.DSN, envV1Tables: "salesforce.merged_user"}))
	if err != nil {
		t.Fatal(err)
	}
	runSource(t, src)
	ready := src.(interface{ Ready() error })
	natstest.Eventually(t, 30*time.Second, "ingest ready", func() bool { return ready.Ready() == nil })
	db.Exec(t, `INSERT INTO salesforce.merged_user (sfid, username__c) VALUES ('0035e0000Zz8TestAA', 'plover')`)
	natstest.Eventually(t, 30*time.Second, "change in V1_CHANGES", func() bool { return storedChanges(t, env) == 1 })
}

func TestIngestBridgesWALListener(t *testing.T) {
	env := natstest.Start(t)
	env.Provision(t, streams.Config{})
	if _, err := env.JS.CreateStream(context.Background(), streams.WALListenerStreamConfig()); err != nil {
		t.Fatal(err)
	}
	src, err := buildIngest(ingestDeps(t, env, map[string]string{envIngestSource: ingestSourceWALListener}))
	if err != nil {
		t.Fatal(err)
	}
	runSource(t, src)
	ev := `{"id":"b1","schema":"salesforce","table":"merged_user","action":"INSERT","data":{"id":7,"sfid":"0035e0000Zz9TestAA"},"commitTime":"2026-07-01T10:00:00Z"}`
	if _, err := env.JS.Publish(context.Background(), "wal_listener.salesforce_merged_user", []byte(ev)); err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, 30*time.Second, "bridged change in V1_CHANGES", func() bool { return storedChanges(t, env) == 1 })
}
