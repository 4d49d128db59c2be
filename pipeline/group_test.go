package pipeline_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"
	"github.com/synadia-io/orbit.go/pcgroups"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/streams"
)

// Child processes are this test binary re-executed with these variables.
const (
	envGroupChild  = "V1SYNC_TEST_GROUP_CHILD" // member name
	envGroupURL    = "V1SYNC_TEST_GROUP_URL"
	envGroupOut    = "V1SYNC_TEST_GROUP_OUT"
	envGroupMode   = "V1SYNC_TEST_GROUP_MODE" // "func" or "runner"
	groupMessages  = 3000
	groupKeys      = 100
	groupPublishAt = 4 * time.Millisecond // 250 messages/s
)

var groupEntities = []string{"project", "committee", "committee_member"}

// groupTestConfig is a member tuned to fail over quickly in tests.
func groupTestConfig(member string) pipeline.GroupConfig {
	cfg := pipeline.DefaultGroupConfig()
	cfg.Stream, cfg.Stage, cfg.Member = streams.V2Intents, streams.StageWrite, member
	cfg.AckWait = 5 * time.Second
	cfg.Heartbeat = 500 * time.Millisecond
	cfg.DeadAfter = 2 * time.Second
	cfg.HandoverTimeout = 5 * time.Second
	cfg.LeaveTimeout = 10 * time.Second
	return cfg
}

func TestGroupConfigValidate(t *testing.T) {
	if err := groupTestConfig("m1").Validate(); err != nil {
		t.Fatalf("test config: %v", err)
	}
	def := pipeline.DefaultGroupConfig()
	if err := def.Validate(); err == nil || !strings.Contains(err.Error(), "stream and stage") {
		t.Errorf("default config without stream: %v", err)
	}
	bad := groupTestConfig("pod.1")
	bad.DeadAfter = bad.Heartbeat
	err := bad.Validate()
	for _, want := range []string{`member "pod.1"`, "dead after"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to mention %s", err, want)
		}
	}
	if m := pipeline.DefaultMember(); m == "" || strings.ContainsAny(m, ". *>") {
		t.Errorf("DefaultMember() = %q", m)
	}
}

// TestGroupChild is a group member process; it only runs when re-executed by
// a parent test. It dispatches either with a plain function (envGroupMode
// "func") or through a real Runner ("runner").
func TestGroupChild(t *testing.T) {
	member := os.Getenv(envGroupChild)
	if member == "" {
		t.Skip("group member child process")
	}
	nc, err := nats.Connect(os.Getenv(envGroupURL))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.OpenFile(os.Getenv(envGroupOut), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(out, "start %d\n", time.Now().UnixNano())
	// record does the work and writes one line per handling, in one write
	// call, so a SIGKILL never leaves half a line.
	record := func(data []byte, stream string, seq, deliveries uint64) {
		began := time.Now().UnixNano()
		work := time.Duration(1+seq%3) * time.Millisecond
		if seq%10 == 0 {
			work = 25 * time.Millisecond // a slow one now and then keeps work in flight at handovers
		}
		time.Sleep(work)
		fmt.Fprintf(out, "%s %d %d %d %s %d\n", data, began, time.Now().UnixNano(), deliveries, stream, seq)
	}
	cfg := groupTestConfig(member)
	cfg.Log = zerolog.New(os.Stderr).With().Timestamp().Logger()
	var d pipeline.Dispatcher
	switch mode := os.Getenv(envGroupMode); mode {
	case "func":
		d = pipeline.DispatchFunc(func(m jetstream.Msg) {
			md, err := m.Metadata()
			if err != nil {
				t.Errorf("metadata: %v", err)
				return
			}
			record(m.Data(), md.Stream, md.Sequence.Stream, md.NumDelivered)
			_ = m.DoubleAck(context.Background())
		})
	case "runner":
		rc := pipeline.DefaultConfig()
		rc.Workers, rc.AckWait, rc.ShutdownTimeout = 8, cfg.AckWait, 5*time.Second
		r, err := pipeline.NewRunner(rc, stageFunc{name: streams.StageWrite,
			fn: func(_ context.Context, in *pipeline.Message) ([]*pipeline.Message, error) {
				record(in.Data, in.Stream, in.Seq, in.Deliveries)
				return nil, nil
			}}, js)
		if err != nil {
			t.Fatal(err)
		}
		d = r
	default:
		t.Fatalf("unknown dispatch mode %q", mode)
	}
	if err := pipeline.RunGroup(ctx, js, cfg, d); err != nil {
		t.Fatal(err)
	}
}

// startGroupChild runs one member process writing to dir/<member>.log.
func startGroupChild(t *testing.T, url, dir, mode, member string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestGroupChild$", "-test.v")
	cmd.Env = append(os.Environ(), envGroupChild+"="+member, envGroupURL+"="+url, envGroupMode+"="+mode,
		envGroupOut+"="+filepath.Join(dir, member+".log"))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd
}

// publishIntents publishes n messages over the keys at a steady pace; the
// body is "<key> <seq>", seq counting from 1 per key. It records where each
// message was stored ("key seq" -> "V2_INTENTS:<stream seq>") in origins,
// which the caller reads once published reaches n.
func publishIntents(ctx context.Context, t *testing.T, js jetstream.JetStream, n int,
	published *atomic.Int64, origins map[string]string) {
	tick := time.NewTicker(groupPublishAt)
	defer tick.Stop()
	seqs := map[string]int{}
	for i := range n {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		k := i % groupKeys
		key := fmt.Sprintf("k%03d", k)
		seqs[key]++
		subj := streams.V2IntentSubject(groupEntities[k%len(groupEntities)], key, streams.DefaultConfig().Partitions)
		msg := nats.NewMsg(subj)
		msg.Header.Set(streams.HeaderKey, key)
		msg.Data = []byte(key + " " + strconv.Itoa(seqs[key]))
		ack, err := js.PublishMsg(ctx, msg)
		if err != nil {
			t.Errorf("publish %d: %v", i, err)
			return
		}
		origins[string(msg.Data)] = fmt.Sprintf("%s:%d", ack.Stream, ack.Sequence)
		published.Add(1)
	}
}

// activeMembers lists the members whose consumer exists.
func activeMembers(t *testing.T, js jetstream.JetStream) []string {
	t.Helper()
	ms, err := pcgroups.ListElasticActiveMembers(context.Background(), js, streams.V2Intents, streams.StageWrite)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}
