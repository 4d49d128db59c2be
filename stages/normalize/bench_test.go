package normalize

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/v1change"
	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
)

const benchRows = 5000 // inserted, then each updated once: 10,000 changes

// BenchmarkDrain measures the normalize stage alone, through the real
// runner: a backlog of inserts and updates already in V1_CHANGES is applied
// to v1-objects. It reports changes/s and the client messages the server
// received per change (Get, CAS write, ack, pulls: the round trips). Each
// run compares the runner's default settings with the stage's own
// (RunnerConfig), interleaved. Run with -benchtime=1x -count=5.
func BenchmarkDrain(b *testing.B) {
	for _, c := range []struct {
		name string
		cfg  func() pipeline.Config
	}{{"runner-defaults", pipeline.DefaultConfig}, {"stage-config", RunnerConfig}} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				benchDrain(b, c.cfg())
			}
		})
	}
}

func benchDrain(b *testing.B, cfg pipeline.Config) {
	env := natstest.Start(b)
	env.Provision(b, streams.Config{})
	kv := env.KV(b, streams.BucketObjects)
	publishBenchLoad(b, env.JS)
	stage, err := New(DefaultConfig(), kv)
	if err != nil {
		b.Fatal(err)
	}
	r, err := pipeline.NewRunner(cfg, stage, env.JS)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cons, err := env.JS.Consumer(ctx, streams.V1Changes, streams.StageNormalize)
	if err != nil {
		b.Fatal(err)
	}
	before := inMsgs(b, env.Server.Server)
	started := time.Now()
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, cons) }()
	b.Cleanup(func() { cancel(); <-done })
	natstest.Eventually(b, 5*time.Minute, "every change in v1-objects", func() bool {
		st, err := kv.Status(ctx)
		return err == nil && st.Values() >= 2*benchRows
	})
	took := time.Since(started)
	msgs := inMsgs(b, env.Server.Server) - before
	b.ReportMetric(2*benchRows/took.Seconds(), "changes/s")
	b.ReportMetric(float64(msgs)/(2*benchRows), "msgs/change")
}

func inMsgs(b *testing.B, s *server.Server) int64 {
	v, err := s.Varz(nil)
	if err != nil {
		b.Fatal(err)
	}
	return v.InMsgs
}

// publishBenchLoad fills V1_CHANGES with benchRows inserts, then one update
// of each row, as capture would write them.
func publishBenchLoad(b *testing.B, js jetstream.JetStream) {
	parts := streams.DefaultConfig().Partitions
	for phase, action := range []v1change.Action{v1change.Insert, v1change.Update} {
		var acks []jetstream.PubAckFuture
		for i := range benchRows {
			sfid := fmt.Sprintf("a0F3t%013d", i)
			sms := fmt.Sprintf("2026-01-0%dT10:00:00.%06d", phase+1, i)
			ev := v1change.Event{ID: fmt.Sprintf("0/%X:%d", phase, i), Schema: "salesforce", Table: "alternate_email__c",
				Action: action, CommitTime: time.Now().UTC(), LSN: "0/1",
				Data: map[string]any{"id": i, "sfid": sfid, "alternate_email_address__c": fmt.Sprintf("%c@example.org", 'a'+phase),
					"lastmodifieddate": sms, "systemmodstamp": sms}}
			data, err := ev.Encode()
			if err != nil {
				b.Fatal(err)
			}
			key := v1change.ObjectKey("salesforce", "alternate_email__c", sfid)
			m := &nats.Msg{Subject: streams.V1ChangeSubject("salesforce", "alternate_email__c", key, parts), Data: data, Header: nats.Header{}}
			m.Header.Set(streams.HeaderKey, key)
			f, err := js.PublishMsgAsync(m, jetstream.WithMsgID(ev.ID))
			if err != nil {
				b.Fatal(err)
			}
			acks = append(acks, f)
		}
		for _, f := range acks {
			select {
			case <-f.Ok():
			case err := <-f.Err():
				b.Fatal(err)
			case <-time.After(time.Minute):
				b.Fatal("no PubAck within a minute")
			}
		}
	}
}
