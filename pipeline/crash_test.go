package pipeline_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/test/natstest"
)

const (
	childRoleEnv = "V1SYNC_PIPELINE_CHILD"
	childURLEnv  = "V1SYNC_PIPELINE_NATS_URL"
	publishedTag = "PUBLISHED"
)

// A runner process killed between storing its outputs and acking its inputs
// leaves no duplicate downstream: the restarted runner handles the inputs
// again and the deterministic message ids make the republish a no-op.
func TestCrashBetweenPublishAndAckYieldsNoDuplicates(t *testing.T) {
	const inputs = 3
	env := setup(t, true)
	for i := range inputs {
		publish(t, env.JS, fmt.Sprintf("in.%d", i), keyOf(i), []byte(fmt.Sprint(i)), nil)
	}
	child := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
	child.Env = append(os.Environ(), childRoleEnv+"=crash", childURLEnv+"="+env.URL)
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	waitPublished(t, stdout, inputs)
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()

	if n := env.Msgs(t, outStream); n != inputs {
		t.Fatalf("before restart: %d outputs stored, want %d", n, inputs)
	}
	if info := consumerInfo(t, env.JS); info.NumAckPending != inputs {
		t.Fatalf("the killed runner acked: %d pending, want %d", info.NumAckPending, inputs)
	}
	var redelivered atomic.Int64
	st := stageFunc{name: "crash", fn: func(ctx context.Context, in *pipeline.Message) ([]*pipeline.Message, error) {
		if in.Deliveries > 1 {
			redelivered.Add(1)
		}
		return passThrough(ctx, in)
	}}
	start(t, env, testConfig(), st)
	natstest.Eventually(t, 15*time.Second, "redelivered inputs settled", func() bool { return settledAll(t, env.JS) })
	if redelivered.Load() != inputs {
		t.Fatalf("%d inputs redelivered after the crash, want %d", redelivered.Load(), inputs)
	}
	if n := env.Msgs(t, outStream); n != inputs {
		t.Fatalf("after restart: %d outputs stored, want %d (duplicates downstream)", n, inputs)
	}
}

// waitPublished reads the child's output until it reported n stored inputs.
func waitPublished(t *testing.T, r interface{ Read([]byte) (int, error) }, n int) {
	t.Helper()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	timeout := time.After(30 * time.Second)
	for seen := 0; seen < n; {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("child exited after %d of %d publishes", seen, n)
			}
			if strings.HasPrefix(line, publishedTag) {
				seen++
			}
		case <-timeout:
			t.Fatalf("child reported %d of %d publishes in 30s", seen, n)
		}
	}
	go func() {
		for range lines { // keep draining so the child never blocks on stdout
		}
	}()
}

// TestCrashChild is the child process of the crash test: a runner whose
// hook freezes every message after its outputs are PubAck'd and before
// the ack, until the parent kills the process.
func TestCrashChild(t *testing.T) {
	if os.Getenv(childRoleEnv) != "crash" {
		t.Skip("child role of TestCrashBetweenPublishAndAckYieldsNoDuplicates")
	}
	nc, err := nats.Connect(os.Getenv(childURLEnv))
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	freeze := func(in *pipeline.Message) {
		fmt.Printf("%s %s %d\n", publishedTag, in.Subject, in.Seq)
		select {} // SIGKILL arrives here
	}
	r, err := pipeline.NewRunner(testConfig(), stageFunc{name: "crash", fn: passThrough}, js, pipeline.WithAfterPublish(freeze))
	if err != nil {
		t.Fatal(err)
	}
	cons, err := js.Consumer(context.Background(), inStream, consumer)
	if err != nil {
		t.Fatal(err)
	}
	_ = r.Run(context.Background(), cons)
}
