package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/test/natstest"
)

// testCLI returns a cli whose environment is env only.
func testCLI(env map[string]string) (*cli, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return &cli{stdout: &out, stderr: &errOut, getenv: func(k string) string { return env[k] }}, &out, &errOut
}

func parseRunFlags(t *testing.T, env map[string]string, args ...string) (runOptions, error) {
	t.Helper()
	c, _, _ := testCLI(env)
	var ro runOptions
	fs := c.flagSet("run")
	ro.register(fs)
	return ro, c.parse(fs, args)
}

func TestFlagsDefaults(t *testing.T) {
	ro, err := parseRunFlags(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	o := ro.nats
	if o.URL != "" || o.Sync.Always || o.Sync.Interval != time.Second || o.Partitions != 16 || o.Replicas != 1 {
		t.Fatalf("defaults: %+v", o)
	}
	if o.ServerSync.Durability() != 2*time.Minute {
		t.Fatalf("external server sync default %s, want JetStream's 2m", o.ServerSync.String())
	}
}

func TestFlagsEnvFallbackAndPrecedence(t *testing.T) {
	env := map[string]string{
		"V1SYNC_NATS_URL":             "nats://a:4222",
		"V1SYNC_SYNC_INTERVAL":        "always",
		"V1SYNC_SERVER_SYNC_INTERVAL": "250ms",
		"V1SYNC_PARTITIONS":           "8",
		"V1SYNC_REPLICAS":             "3",
		"V1SYNC_DATA_DIR":             "/env/dir",
		"V1SYNC_HTTP_ADDR":            ":9000",
		"V1SYNC_LOG_LEVEL":            "debug",
		"V1SYNC_NATS_CREDS":           "/env/creds",
		"V1SYNC_STAGE":                "write, map",
	}
	ro, err := parseRunFlags(t, env, "--partitions", "4", "--data-dir", "/flag/dir")
	if err != nil {
		t.Fatal(err)
	}
	o := ro.nats
	if o.Partitions != 4 || o.DataDir != "/flag/dir" {
		t.Errorf("flags must win over env: partitions %d, data dir %q", o.Partitions, o.DataDir)
	}
	if o.URL != "nats://a:4222" || !o.Sync.Always || o.Sync.Durability() != 0 || o.Replicas != 3 ||
		o.ServerSync.Durability() != 250*time.Millisecond || o.LogLevel != "debug" || o.CredsFile != "/env/creds" {
		t.Errorf("env not applied: %+v", o)
	}
	if ro.httpAddr != ":9000" || strings.Join(ro.stages, ",") != "write,map" {
		t.Errorf("http addr %q, stages %v", ro.httpAddr, ro.stages)
	}
}

func TestFlagsBadValues(t *testing.T) {
	_, err := parseRunFlags(t, map[string]string{"V1SYNC_SYNC_INTERVAL": "soon"})
	if err == nil || !strings.Contains(err.Error(), "V1SYNC_SYNC_INTERVAL") {
		t.Errorf("bad env sync interval: %v", err)
	}
	if _, err := parseRunFlags(t, nil, "--sync-interval", "-1s"); err == nil {
		t.Error("negative sync interval accepted")
	}
	if _, err := parseRunFlags(t, nil, "extra"); err == nil || !errors.As(err, new(usageError)) {
		t.Errorf("stray argument: %v", err)
	}
}

func TestSecretsNotEchoed(t *testing.T) {
	const url = "nats://user:s3cret@host:4222,tls://tok3n@other:4222"
	red := redactURLs(url)
	if strings.Contains(red, "s3cret") || strings.Contains(red, "tok3n") || !strings.Contains(red, "host:4222") {
		t.Fatalf("redactURLs = %q", red)
	}
	err := redactErr(errors.New("dial nats://user:s3cret@host:4222 failed; tok3n"), url)
	if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "tok3n") {
		t.Fatalf("redactErr = %q", err)
	}
	c, _, _ := testCLI(nil)
	_, err = connectNATS(context.Background(), natsOptions{URL: "nats://user:s3cret@127.0.0.1:1", Replicas: 1, Partitions: 1}, mustLogger(t, c))
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("connect error leaks or is missing: %v", err)
	}
}

func TestUnknownStageListsKnown(t *testing.T) {
	registerStage("test-echo", func(stageDeps) (pipeline.Stage, error) { return nil, errors.New("not built in tests") })
	t.Cleanup(func() { delete(stageBuilders, "test-echo") })

	c, _, _ := testCLI(nil)
	err := c.dispatch(context.Background(), []string{"run", "--stage", "nope"})
	if err == nil || !errors.As(err, new(usageError)) ||
		!strings.Contains(err.Error(), `"nope"`) || !strings.Contains(err.Error(), "test-echo") {
		t.Fatalf("unknown stage: %v", err)
	}
	got, err := selectStages(nil)
	if err != nil || len(got) != len(knownStages()) {
		t.Fatalf("no --stage selects all: %v %v", got, err)
	}
}

func TestHelpAndUnknownCommand(t *testing.T) {
	c, out, _ := testCLI(nil)
	if err := c.dispatch(context.Background(), []string{"help"}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"run", "provision"} {
		if !strings.Contains(out.String(), name) {
			t.Errorf("help does not list %s:\n%s", name, out)
		}
	}
	err := c.dispatch(context.Background(), []string{"frobnicate"})
	if err == nil || !strings.Contains(err.Error(), "provision") {
		t.Errorf("unknown command: %v", err)
	}
}

func TestListenAddr(t *testing.T) {
	for addr, want := range map[string]int{"none": 0, "127.0.0.1:0": -1, "127.0.0.1:4222": 4222} {
		_, port, err := listenAddr(addr)
		if err != nil || port != want {
			t.Errorf("listenAddr(%q) = %d, %v; want %d", addr, port, err, want)
		}
	}
	if _, _, err := listenAddr("127.0.0.1:x"); err == nil {
		t.Error("bad port accepted")
	}
}

func mustLogger(t *testing.T, c *cli) zerolog.Logger {
	t.Helper()
	log, err := c.logger("info")
	if err != nil {
		t.Fatal(err)
	}
	return log
}

// TestProvisionExternalServer runs `provision` twice against a running
// server: the first run creates, the second changes nothing, and the log
// never shows the URL's password.
func TestProvisionExternalServer(t *testing.T) {
	env := natstest.Start(t)
	url := strings.Replace(env.URL, "nats://", "nats://user:s3cret@", 1)
	for i, want := range []string{"created", "unchanged"} {
		c, out, logs := testCLI(map[string]string{"V1SYNC_NATS_URL": url})
		if err := c.dispatch(context.Background(), []string{"provision", "--partitions", "4"}); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if !strings.Contains(out.String(), "stream V1_CHANGES "+want) || strings.Contains(out.String(), "stream DLQ updated") {
			t.Errorf("run %d printed:\n%s", i, out)
		}
		if strings.Contains(logs.String(), "s3cret") || !strings.Contains(logs.String(), "nats://REDACTED@") {
			t.Errorf("run %d log leaks or lacks the redacted URL:\n%s", i, logs)
		}
	}
}
