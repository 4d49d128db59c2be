package write

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/auth"
	"github.com/linuxfoundation/v1sync/stages/idmap"
	"github.com/linuxfoundation/v1sync/stages/intent"
	"github.com/linuxfoundation/v1sync/stages/v2client"
	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
	v2sim "github.com/linuxfoundation/v1sync/test/sim/v2"
)

// harness is the write stage wired to embedded JetStream and the v2 simulator.
type harness struct {
	t        testing.TB
	env      *natstest.Env
	sim      *v2sim.Sim
	v2       *v2client.Client
	stage    *Stage
	ids      *idmap.IDMap
	mappings jetstream.KeyValue
	objects  jetstream.KeyValue
	sso      *ssoRecorder
}

func newHarness(t testing.TB, mutate func(*v2sim.Config)) *harness {
	t.Helper()
	env := natstest.Start(t)
	env.Provision(t, streams.Config{})
	scfg := v2sim.DefaultConfig()
	scfg.EventDelay = v2sim.Delay{Min: 0, Max: 20 * time.Millisecond}
	if mutate != nil {
		mutate(&scfg)
	}
	sim := v2sim.StartT(t, env.NC, scfg)
	h := &harness{t: t, env: env, sim: sim, sso: &ssoRecorder{},
		mappings: env.KV(t, streams.BucketMappings), objects: env.KV(t, streams.BucketObjects)}
	h.ids = idmap.New(h.mappings)
	h.v2 = newClient(t, env, sim, h.objects)
	st, err := New(DefaultConfig(), Deps{V2: h.v2, Mappings: h.mappings,
		State: env.KV(t, streams.BucketState), SSO: h.sso})
	if err != nil {
		t.Fatal(err)
	}
	h.stage = st
	return h
}

// newClient signs with the simulator's key; the kid comes from its JWKS.
func newClient(t testing.TB, env *natstest.Env, sim *v2sim.Sim, objects jetstream.KeyValue) *v2client.Client {
	t.Helper()
	return clientFor(t, env.NC, sim.URL(), sim.SigningKeyPEM(), objects)
}

// clientFor builds the v2 client for a simulator at url (both services).
func clientFor(t testing.TB, nc *nats.Conn, url string, keyPEM []byte, objects jetstream.KeyValue) *v2client.Client {
	return clientWith(t, nc, url, keyPEM, objects, v2client.DefaultConfig().Timeout)
}

func clientWith(t testing.TB, nc *nats.Conn, url string, keyPEM []byte, objects jetstream.KeyValue, timeout time.Duration) *v2client.Client {
	t.Helper()
	key, err := auth.ParsePrivateKey(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	acfg := auth.DefaultConfig()
	acfg.JWKSURL = url + "/.well-known/jwks"
	signer, err := auth.NewSigner(context.Background(), acfg, key)
	if err != nil {
		t.Fatal(err)
	}
	tokens := auth.NewTokens(acfg, signer, auth.NewResolver(acfg, auth.NewObjectsDirectory(objects, nil)))
	vcfg := v2client.DefaultConfig()
	vcfg.ProjectURL, vcfg.CommitteeURL, vcfg.Timeout = url, url, timeout
	vcfg.ProjectAudience, vcfg.CommitteeAudience = v2sim.AudienceProjects, v2sim.AudienceCommittees
	c, err := v2client.New(vcfg, tokens, nc)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// handle runs one intent through the stage once.
func (h *harness) handle(in intent.Intent) error {
	data, err := in.Marshal()
	if err != nil {
		h.t.Fatal(err)
	}
	_, err = h.stage.Handle(context.Background(), &pipeline.Message{Subject: "test", Data: data, Deliveries: 1})
	return err
}

// mustHandle fails the test unless the intent applies at once.
func (h *harness) mustHandle(in intent.Intent) {
	h.t.Helper()
	if err := h.handle(in); err != nil {
		h.t.Fatalf("handle %s rev %d: %v", in.Key, in.SourceRevision, err)
	}
}

// handleUntilDone retries transient errors as the runner would (without
// its backoff); a permanent error fails the test.
func (h *harness) handleUntilDone(in intent.Intent) {
	h.t.Helper()
	var err error
	for range 200 {
		if err = h.handle(in); err == nil {
			return
		}
		if pipeline.IsPermanent(err) {
			h.t.Fatalf("handle %s rev %d: permanent: %v", in.Key, in.SourceRevision, err)
		}
		d, ok := pipeline.RetryAfter(err)
		if !ok || d > 50*time.Millisecond {
			d = 50 * time.Millisecond
		}
		time.Sleep(d) // the runner's backoff, shortened; not synchronisation
	}
	h.t.Fatalf("handle %s rev %d: still failing: %v", in.Key, in.SourceRevision, err)
}

// shortLease rebuilds the stage with a short claim lease (and an HTTP
// timeout to match), for tests where workers wait out each other's claims.
func (h *harness) shortLease(lease time.Duration) {
	h.t.Helper()
	h.v2 = clientWith(h.t, h.env.NC, h.sim.URL(), h.sim.SigningKeyPEM(), h.objects, lease/2)
	cfg := DefaultConfig()
	cfg.ClaimLease = lease
	st, err := New(cfg, Deps{V2: h.v2, Mappings: h.mappings, State: h.env.KV(h.t, streams.BucketState), SSO: h.sso})
	if err != nil {
		h.t.Fatal(err)
	}
	h.stage = st
}

// leaseExpired moves the stage's clock past the claim lease, as if the
// worker that made a pending claim had died long ago.
func (h *harness) leaseExpired() {
	h.stage.now = func() time.Time { return time.Now().Add(h.stage.cfg.ClaimLease) }
}

func (h *harness) live(key string) string {
	h.t.Helper()
	v, err := h.ids.Live(context.Background(), key)
	if err != nil {
		h.t.Fatal(err)
	}
	return v
}

func (h *harness) entry(key string) idmap.Entry {
	h.t.Helper()
	e, _, err := h.ids.Get(context.Background(), key)
	if err != nil {
		h.t.Fatal(err)
	}
	return e
}

// get reads a v2 object through the real client; found is false on 404.
func (h *harness) get(s v2client.Service, path string) (map[string]any, bool) {
	h.t.Helper()
	o, err := h.v2.Get(context.Background(), s, path)
	if v2client.Is(err, v2client.NotFound) {
		return nil, false
	}
	if err != nil {
		h.t.Fatal(err)
	}
	return o.Body, true
}

// records counts the simulator's stored records of a kind.
func (h *harness) records(kind string) []v2sim.Object {
	h.t.Helper()
	objs, err := h.sim.Objects(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	var out []v2sim.Object
	for _, o := range objs {
		if o.Kind == kind {
			out = append(out, o)
		}
	}
	return out
}

func (h *harness) calls(ep v2sim.Endpoint, status int) int { return h.sim.CallCount(ep, status) }

func raw(t testing.TB, v map[string]any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ssoRecorder stands in for the v1 API client, which another package builds.
type ssoRecorder struct {
	mu    sync.Mutex
	calls []string
	fail  error
}

func (r *ssoRecorder) WriteSSOGroupName(_ context.Context, projectSFID, committeeSFID, name string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.calls = append(r.calls, projectSFID+"/"+committeeSFID+"="+name)
	return nil
}

func (r *ssoRecorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.calls...)
}

var errTest = errors.New("test failure")
