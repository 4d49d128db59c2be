package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
)

// asMainEnv makes the test binary behave as the v1sync binary, so process
// tests run the real main without a separate build.
const asMainEnv = "V1SYNC_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMainEnv) == "1" {
		os.Exit(mainExit(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// child is a running v1sync process and its parsed JSON log lines.
type child struct {
	cmd  *exec.Cmd
	logs chan map[string]any
	done chan error
}

func startChild(t *testing.T, args ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = []string{asMainEnv + "=1", "HOME=" + os.Getenv("HOME"), "PATH=" + os.Getenv("PATH")}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, logs: make(chan map[string]any, 1000), done: make(chan error, 1)}
	go c.readLogs(t, stderr)
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return c
}

func (c *child) readLogs(t *testing.T, r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			line = map[string]any{"message": "non-JSON: " + sc.Text()}
		}
		c.logs <- line
	}
	close(c.logs)
	c.done <- c.cmd.Wait()
}

// waitLog returns the first log line (after those already read) that has
// field set, failing after within.
func (c *child) waitLog(t *testing.T, field string, within time.Duration) map[string]any {
	t.Helper()
	deadline := time.After(within)
	var seen []string
	for {
		select {
		case line, ok := <-c.logs:
			if !ok {
				t.Fatalf("process ended before logging %q; its last lines:\n%s", field, strings.Join(seen, "\n"))
			}
			if seen = append(seen, fmt.Sprint(line)); len(seen) > 5 {
				seen = seen[1:]
			}
			if _, has := line[field]; has {
				return line
			}
		case <-deadline:
			t.Fatalf("no log line with %q within %s", field, within)
		}
	}
}

// stop sends SIGTERM and returns how long the process took to exit.
func (c *child) stop(t *testing.T, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	go func() {
		for range c.logs { // keep draining so the child never blocks on stderr
		}
	}()
	select {
	case err := <-c.done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(within):
		t.Fatalf("process still running %s after SIGTERM", within)
	}
	return time.Since(start)
}

func waitReady(t *testing.T, httpAddr string) {
	t.Helper()
	url := "http://" + httpAddr + "/readyz"
	natstest.Eventually(t, 20*time.Second, url+" = 200", func() bool {
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// TestRunEmbeddedSurvivesRestart runs `v1sync run` on the embedded server,
// stores a value, stops it with SIGTERM, and finds the value after a restart
// on the same data dir.
func TestRunEmbeddedSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	args := []string{"run", "--data-dir", dir, "--listen", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--shutdown-timeout", "10s"}

	p := startChild(t, args...)
	first := p.waitLog(t, "message", 30*time.Second)
	if first["data_dir"] != dir || first["sync_interval"] != "1s" || !strings.HasPrefix(fmt.Sprint(first["url"]), "nats://127.0.0.1:") {
		t.Fatalf("first log line must announce the embedded server: %v", first)
	}
	natsURL := first["url"].(string)
	waitReady(t, p.waitLog(t, "addr", 20*time.Second)["addr"].(string))
	putState(t, natsURL, "restart-probe", "kept")
	t.Logf("first run stopped %s after SIGTERM", p.stop(t, 15*time.Second))

	p = startChild(t, args...)
	natsURL = p.waitLog(t, "url", 30*time.Second)["url"].(string)
	if line := p.waitLog(t, "changed", 20*time.Second); line["changed"] != 0.0 {
		t.Errorf("restart re-provisioned changes: %v", line)
	}
	waitReady(t, p.waitLog(t, "addr", 20*time.Second)["addr"].(string))
	if got := getState(t, natsURL, "restart-probe"); got != "kept" {
		t.Errorf("after restart, state key = %q, want kept", got)
	}
	p.stop(t, 15*time.Second)
}

func stateBucket(t *testing.T, url string) jetstream.KeyValue {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(context.Background(), streams.BucketState)
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

func putState(t *testing.T, url, key, val string) {
	t.Helper()
	if _, err := stateBucket(t, url).PutString(context.Background(), key, val); err != nil {
		t.Fatal(err)
	}
}

func getState(t *testing.T, url, key string) string {
	t.Helper()
	e, err := stateBucket(t, url).Get(context.Background(), key)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	return string(e.Value())
}
