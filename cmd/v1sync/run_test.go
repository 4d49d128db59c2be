package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
)

// forwardStage passes each V1_CHANGES message on to V2_INTENTS.
type forwardStage struct{ partitions int }

func (forwardStage) Name() string { return streams.StageNormalize }

func (s forwardStage) Handle(_ context.Context, in *pipeline.Message) ([]*pipeline.Message, error) {
	key := in.Header.Get(streams.HeaderKey)
	out := pipeline.NewMessage(streams.V2IntentSubject("project", key, s.partitions), in.Data)
	out.Header.Set(streams.HeaderKey, key)
	return []*pipeline.Message{out}, nil
}

// withTestStage replaces the normalize stage's builder for one test.
func withTestStage(t *testing.T) {
	old, had := stageBuilders[streams.StageNormalize]
	stageBuilders[streams.StageNormalize] = func(d stageDeps) (pipeline.Stage, error) {
		return forwardStage{partitions: d.Topology.Partitions}, nil
	}
	t.Cleanup(func() {
		delete(stageBuilders, streams.StageNormalize)
		if had {
			stageBuilders[streams.StageNormalize] = old
		}
	})
}

// logLines collects JSON log lines written by an in-process run.
type logLines struct {
	mu    sync.Mutex
	lines []map[string]any
}

func (l *logLines) Write(p []byte) (int, error) {
	var m map[string]any
	if json.Unmarshal(p, &m) == nil {
		l.mu.Lock()
		l.lines = append(l.lines, m)
		l.mu.Unlock()
	}
	return len(p), nil
}

func (l *logLines) field(name string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range l.lines {
		if v, ok := m[name].(string); ok {
			return v
		}
	}
	return ""
}

// TestRunForwardsThroughStage runs `run --stage normalize` in-process, in
// single-consumer and in group mode: a change published to V1_CHANGES comes
// out on V2_INTENTS, /readyz turns 200, /metrics counts, and cancelling
// stops the run.
func TestRunForwardsThroughStage(t *testing.T) {
	withTestStage(t)
	for _, mode := range []string{"consumer", "group"} {
		t.Run(mode, func(t *testing.T) {
			args := []string{"run", "--stage", streams.StageNormalize, "--data-dir", t.TempDir(),
				"--listen", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--partitions", "4", "--shutdown-timeout", "10s"}
			if mode == "group" {
				args = append(args, "--group")
			}
			runAndForward(t, args)
		})
	}
}

func runAndForward(t *testing.T, args []string) {
	logs := &logLines{}
	c := &cli{stdout: io.Discard, stderr: logs, getenv: func(string) string { return "" }}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	result := make(chan error, 1)
	go func() { result <- c.dispatch(ctx, args) }()

	natstest.Eventually(t, 30*time.Second, "http address logged", func() bool { return logs.field(pipeline.FieldAddr) != "" })
	base := "http://" + logs.field(pipeline.FieldAddr)
	natstest.Eventually(t, 30*time.Second, "/readyz 200", func() bool { return httpStatus(base+"/readyz") == http.StatusOK })

	nc, err := nats.Connect(logs.field(pipeline.FieldURL))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	msg := nats.NewMsg(streams.V1ChangeSubject("salesforce", "project__c", "k1", 4))
	msg.Header.Set(streams.HeaderKey, "salesforce-project__c.k1")
	msg.Data = []byte(`{"id":1}`)
	if _, err := js.PublishMsg(ctx, msg); err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, 30*time.Second, "the change forwarded to V2_INTENTS", func() bool {
		s, err := js.Stream(ctx, streams.V2Intents)
		return err == nil && s.CachedInfo().State.Msgs == 1
	})
	natstest.Eventually(t, 10*time.Second, "/metrics shows the stage", func() bool {
		return strings.Contains(httpBody(base+"/metrics"), streams.StageNormalize)
	})

	cancel()
	select {
	case err := <-result:
		if err != nil {
			t.Fatalf("run returned %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("run did not stop within 20s of cancellation")
	}
}

func httpStatus(url string) int {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func httpBody(url string) string {
	resp, err := http.Get(url)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestNotConfiguredStage: running every stage skips one that lacks its
// settings; naming it with --stage fails with the reason.
func TestNotConfiguredStage(t *testing.T) {
	const name = "test-unconfigured"
	registerStage(name, func(stageDeps) (pipeline.Stage, error) { return nil, notConfigured("set V1SYNC_TEST_URL") })
	t.Cleanup(func() { delete(stageBuilders, name) })
	d := stageDeps{Topology: streams.DefaultConfig()}
	h := pipeline.NewHealth(nil, nil)

	all, err := buildStages([]string{name}, d, runOptions{}, h)
	if err != nil || len(all) != 0 {
		t.Fatalf("run of all stages: %v, %d built; want it skipped", err, len(all))
	}
	_, err = buildStages([]string{name}, d, runOptions{stages: stageList{name}}, h)
	if err == nil || !strings.Contains(err.Error(), "V1SYNC_TEST_URL") {
		t.Fatalf("--stage %s: %v; want the missing setting named", name, err)
	}
}
