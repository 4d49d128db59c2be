package mapids

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/idmap"
	"github.com/linuxfoundation/v1sync/stages/intent"
	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
)

const rootUID = "00000000-0000-4000-8000-000000000001"

// harness is an embedded JetStream with the v1sync topology, a stand-in for
// the project service's slug_to_uid responder, and the map stage.
type harness struct {
	t       testing.TB
	env     *natstest.Env
	objects jetstream.KeyValue
	ids     *idmap.IDMap
	stream  jetstream.Stream
	stage   *Stage
	sample  sampleRows
	// rootAsks counts slug_to_uid requests.
	rootAsks atomic.Int64
}

func newHarness(t testing.TB, deps Deps) *harness {
	t.Helper()
	env := natstest.Start(t)
	env.Provision(t, streams.Config{})
	h := &harness{t: t, env: env, objects: env.KV(t, streams.BucketObjects),
		ids: idmap.New(env.KV(t, streams.BucketMappings)), sample: loadSample(t)}
	var err error
	if h.stream, err = env.JS.Stream(context.Background(), streams.KVStream(streams.BucketObjects)); err != nil {
		t.Fatal(err)
	}
	sub, err := env.NC.Subscribe(streams.SubjectSlugToUID, func(m *nats.Msg) {
		h.rootAsks.Add(1)
		if string(m.Data) == "ROOT" {
			_ = m.Respond([]byte(rootUID))
			return
		}
		_ = m.Respond(nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	h.stage = h.newStage(DefaultConfig(), deps)
	return h
}

// newStage builds a stage over the harness's server (4 partitions).
func (h *harness) newStage(cfg Config, deps Deps) *Stage {
	h.t.Helper()
	deps.Objects, deps.IDs, deps.NC = h.objects, h.ids, h.env.NC
	cfg.Partitions = 4
	s, err := New(cfg, deps)
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

func (h *harness) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	h.t.Cleanup(cancel)
	return ctx
}

// put stores r under key in v1-objects, as normalize does (JSON).
func (h *harness) put(key string, r row) {
	h.t.Helper()
	data, err := json.Marshal(r)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.objects.Put(h.ctx(), key, data); err != nil {
		h.t.Fatal(err)
	}
}

// row returns a copy of a sample row.
func (h *harness) row(prefix, sfid string) row {
	h.t.Helper()
	r, ok := h.sample[prefix][sfid]
	if !ok {
		h.t.Fatalf("no sample row %s.%s", prefix, sfid)
	}
	c := row{}
	for k, v := range r {
		c[k] = v
	}
	return c
}

// putSample stores sample rows in v1-objects.
func (h *harness) putSample(prefix string, sfids ...string) {
	h.t.Helper()
	for _, sfid := range sfids {
		h.put(prefix+"."+sfid, h.row(prefix, sfid))
	}
}

// putAllSample stores every sample row of the given prefixes.
func (h *harness) putAllSample(prefixes ...string) {
	h.t.Helper()
	for _, p := range prefixes {
		for sfid, r := range h.sample[p] {
			h.put(p+"."+sfid, r)
		}
	}
}

// mapKey maps one id (e.g. project.sfid.X -> uid).
func (h *harness) mapKey(key, value string) {
	h.t.Helper()
	if err := h.ids.Put(h.ctx(), key, value); err != nil {
		h.t.Fatal(err)
	}
}

// handle runs the stage on the latest KV_v1-objects message of key, as the
// runner would deliver it for the given delivery count.
func (h *harness) handle(key string, deliveries uint64) ([]*pipeline.Message, error) {
	h.t.Helper()
	raw, err := h.stream.GetLastMsgForSubject(h.ctx(), streams.KVSubject(streams.BucketObjects, key))
	if err != nil {
		h.t.Fatal(err)
	}
	in := &pipeline.Message{Subject: raw.Subject, Header: raw.Header, Data: raw.Data,
		Stream: streams.KVStream(streams.BucketObjects), Seq: raw.Sequence, Deliveries: deliveries, Stored: raw.Time}
	if in.Header == nil {
		in.Header = nats.Header{}
	}
	return h.stage.Handle(h.ctx(), in)
}

// intentFor handles key once and returns its single intent.
func (h *harness) intentFor(key string) (intent.Intent, *pipeline.Message) {
	h.t.Helper()
	outs, err := h.handle(key, 1)
	if err != nil {
		h.t.Fatalf("%s: %v", key, err)
	}
	if len(outs) != 1 {
		h.t.Fatalf("%s: %d outputs, want 1", key, len(outs))
	}
	it, err := intent.Unmarshal(outs[0].Data)
	if err != nil {
		h.t.Fatal(err)
	}
	return it, outs[0]
}

// errorClass returns the DLQ reason and class of err.
func errorClass(err error) (reason pipeline.Reason, permanent bool, after time.Duration) {
	after, _ = pipeline.RetryAfter(err)
	return pipeline.ReasonOf(err), pipeline.IsPermanent(err), after
}

// mapAllProjects maps every sample project to a uid derived from its sfid.
func (h *harness) mapAllProjects(except ...string) {
	skip := setOf(except...)
	for sfid := range h.sample[prefixProject] {
		if !skip[sfid] {
			h.mapKey(idmap.ProjectSFIDKey(sfid), projectUIDOf(sfid))
		}
	}
}

func (h *harness) mapAllCommittees(except ...string) {
	skip := setOf(except...)
	for sfid := range h.sample[prefixCommittee] {
		if !skip[sfid] {
			h.mapKey(idmap.CommitteeSFIDKey(sfid), committeeUIDOf(sfid))
		}
	}
}

func projectUIDOf(sfid string) string   { return "p-" + strings.ToLower(sfid) }
func committeeUIDOf(sfid string) string { return "c-" + strings.ToLower(sfid) }
