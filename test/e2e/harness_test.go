// Package e2e runs the v1 → v2 chain end to end: rows written to the
// v1-objects bucket (or real PostgreSQL rows) in, v2 simulator state out,
// through the real map and write stages on pipeline runners.
package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/auth"
	"github.com/linuxfoundation/v1sync/stages/idmap"
	"github.com/linuxfoundation/v1sync/stages/mapids"
	"github.com/linuxfoundation/v1sync/stages/v2client"
	"github.com/linuxfoundation/v1sync/stages/write"
	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
	v2sim "github.com/linuxfoundation/v1sync/test/sim/v2"
	"github.com/linuxfoundation/v1sync/test/v1data"
)

// Table prefixes of v1-objects keys.
const (
	projects   = "salesforce-project__c"
	committees = "platform-collaboration__c"
	members    = "platform-community__c"
)

// chain is embedded JetStream with the topology, the v2 simulator, and the
// map stage (and, unless the test runs write elsewhere, the write stage) on
// runners fed by their durable consumers.
type chain struct {
	t       testing.TB
	env     *natstest.Env
	topo    streams.Config
	sim     *v2sim.Sim
	objects jetstream.KeyValue
	ids     *idmap.IDMap
	sample  map[string]map[string]v1data.Row
	mapper  *mapids.Stage
	writer  *write.Stage
}

type chainOptions struct {
	// noWrite leaves the write stage to other processes.
	noWrite bool
	sim     func(*v2sim.Config)
	// parentAttempts, when set, is the map stage's parent-wait bound.
	parentAttempts uint64
}

func newChain(t testing.TB, o chainOptions) *chain {
	t.Helper()
	env := natstest.Start(t)
	topo := streams.DefaultConfig()
	topo.Partitions = 4
	env.Provision(t, topo)
	scfg := v2sim.DefaultConfig()
	scfg.Addr = "127.0.0.1:0"
	scfg.EventDelay = v2sim.Delay{Max: 20 * time.Millisecond}
	if o.sim != nil {
		o.sim(&scfg)
	}
	c := &chain{t: t, env: env, topo: topo, sim: v2sim.StartT(t, env.NC, scfg),
		objects: env.KV(t, streams.BucketObjects), ids: idmap.New(env.KV(t, streams.BucketMappings))}
	var err error
	if c.sample, err = v1data.Rows(); err != nil {
		t.Fatal(err)
	}
	// Users first: the write stage resolves principals from them.
	c.putAll("salesforce.merged_user", "salesforce-merged_user")
	c.putAll("salesforce.alternate_email__c", "salesforce-alternate_email__c")
	mcfg := mapids.DefaultConfig()
	mcfg.Partitions = topo.Partitions
	// A parent may be held up by a crashed writer's claim (lease below) and
	// a group failover: the children wait ~18 s (40 attempts, the runner's cap).
	mcfg.ParentRetryBase, mcfg.ParentRetryMax, mcfg.ParentMaxDeliveries = 50*time.Millisecond, 500*time.Millisecond, 40
	if o.parentAttempts > 0 {
		mcfg.ParentMaxDeliveries = o.parentAttempts
	}
	if c.mapper, err = mapids.New(mcfg, mapids.Deps{Objects: c.objects, IDs: c.ids, NC: env.NC}); err != nil {
		t.Fatal(err)
	}
	c.run(c.mapper)
	if !o.noWrite {
		c.writer = newWriteStage(t, env.NC, env.JS, simTarget(c.sim))
		c.run(c.writer)
	}
	return c
}

// runnerConfig retries fast: the tests' faults are short.
func runnerConfig(ackWait time.Duration) pipeline.Config {
	cfg := pipeline.DefaultConfig()
	cfg.AckWait = ackWait
	cfg.MaxDeliveries = 40
	cfg.Backoff.Initial, cfg.Backoff.Max = 20*time.Millisecond, 200*time.Millisecond
	cfg.Breaker.MaxShare = 1
	cfg.ShutdownTimeout = 5 * time.Second
	return cfg
}

// run feeds st from its durable consumer until the test ends.
func (c *chain) run(st pipeline.Stage) {
	c.t.Helper()
	r, err := pipeline.NewRunner(runnerConfig(c.topo.AckWait), st, c.env.JS)
	if err != nil {
		c.t.Fatal(err)
	}
	var spec streams.ConsumerSpec
	for _, s := range c.topo.Consumers() {
		if s.Config.Durable == st.Name() {
			spec = s
		}
	}
	cons, err := c.env.JS.Consumer(context.Background(), spec.Stream, spec.Config.Durable)
	if err != nil {
		c.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, cons) }()
	c.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			c.t.Errorf("runner %s: %v", st.Name(), err)
		}
	})
}

// simTarget is what a write stage needs to reach the simulator.
type target struct {
	ProjectURL, CommitteeURL, ProjectAudience, CommitteeAudience, JWKSURL string
	KeyPEM                                                                []byte
}

func simTarget(s *v2sim.Sim) target {
	pa, ca := s.Audiences()
	return target{ProjectURL: s.ProjectURL(), CommitteeURL: s.CommitteeURL(), ProjectAudience: pa,
		CommitteeAudience: ca, JWKSURL: s.JWKSURL(), KeyPEM: s.SigningKeyPEM()}
}

// newWriteStage builds the write stage against tg, as cmd/v1sync does.
func newWriteStage(t testing.TB, nc *nats.Conn, js jetstream.JetStream, tg target) *write.Stage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	key, err := auth.ParsePrivateKey(tg.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	acfg := auth.DefaultConfig()
	acfg.JWKSURL = tg.JWKSURL
	signer, err := auth.NewSigner(ctx, acfg, key)
	if err != nil {
		t.Fatal(err)
	}
	kv := func(b string) jetstream.KeyValue {
		k, err := js.KeyValue(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	tokens := auth.NewTokens(acfg, signer, auth.NewResolver(acfg, auth.NewObjectsDirectory(kv(streams.BucketObjects), nil)))
	vcfg := v2client.DefaultConfig()
	vcfg.ProjectURL, vcfg.CommitteeURL = tg.ProjectURL, tg.CommitteeURL
	vcfg.Timeout = time.Second // the simulator is local; a short lease needs a short call bound
	vcfg.ProjectAudience, vcfg.CommitteeAudience = tg.ProjectAudience, tg.CommitteeAudience
	v2, err := v2client.New(vcfg, tokens, nc)
	if err != nil {
		t.Fatal(err)
	}
	wcfg := write.DefaultConfig()
	wcfg.ClaimLease = 2 * vcfg.Timeout // a killed writer's claim expires within the map stage's parent wait
	st, err := write.New(wcfg, write.Deps{V2: v2, Mappings: kv(streams.BucketMappings), State: kv(streams.BucketState)})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// row returns a copy of a sample row.
func (c *chain) row(table, sfid string) v1data.Row {
	c.t.Helper()
	r, ok := c.sample[table][sfid]
	if !ok {
		c.t.Fatalf("no sample row %s %s", table, sfid)
	}
	return r.Clone()
}

// put stores a row in v1-objects as normalize does (JSON) and returns the revision.
func (c *chain) put(prefix string, r v1data.Row) uint64 {
	c.t.Helper()
	data, err := json.Marshal(r)
	if err != nil {
		c.t.Fatal(err)
	}
	rev, err := c.objects.Put(context.Background(), prefix+"."+r["sfid"].(string), data)
	if err != nil {
		c.t.Fatal(err)
	}
	return rev
}

func (c *chain) putAll(table, prefix string) {
	for _, r := range c.sample[table] {
		c.put(prefix, r)
	}
}

// edit is a later v1 version of r: changes applied, modified now by a human.
func edit(r v1data.Row, changes map[string]any) v1data.Row {
	n := r.Clone()
	for k, v := range changes {
		n[k] = v
	}
	now := time.Now().UTC().Format("2006-01-02 15:04:05.999999")
	n["lastmodifieddate"], n["lastmodifiedbyid"] = now, "0058c0000mNvvTlAAJ"
	if _, ok := n["systemmodstamp"]; ok {
		n["systemmodstamp"] = now
	}
	return n
}

// uid waits until key is mapped to a live v2 uid and returns it (for a
// member, the member uid).
func (c *chain) uid(key string) string {
	c.t.Helper()
	var uid string
	natstest.Eventually(c.t, 30*time.Second, key+" mapped", func() bool {
		v, err := c.ids.Live(context.Background(), key)
		if err != nil {
			c.t.Fatal(err)
		}
		_, uid = idmap.SplitMemberSFIDValue(v)
		return v != ""
	})
	return uid
}

// record reads the simulator's stored record of a v2 object.
func (c *chain) record(bucket, uid string) map[string]any {
	c.t.Helper()
	kv := c.env.KV(c.t, bucket)
	e, err := kv.Get(context.Background(), uid)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil
	}
	if err != nil {
		c.t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(e.Value(), &m); err != nil {
		c.t.Fatal(err)
	}
	return m
}

// awaitField waits until the stored record's field equals want.
func (c *chain) awaitField(bucket, uid, field string, want any) {
	c.t.Helper()
	natstest.Eventually(c.t, 30*time.Second, fmt.Sprintf("%s %s %s = %v", bucket, uid, field, want), func() bool {
		r := c.record(bucket, uid)
		return r != nil && fmt.Sprint(r[field]) == fmt.Sprint(want)
	})
}

// kinds counts the simulator's records by kind (ROOT excluded).
func (c *chain) kinds() map[string]int {
	c.t.Helper()
	objs, err := c.sim.Objects(context.Background())
	if err != nil {
		c.t.Fatal(err)
	}
	n := map[string]int{}
	for _, o := range objs {
		if o.Kind != v2sim.KindIndex && o.Key != c.sim.RootUID() {
			n[o.Kind]++
		}
	}
	return n
}

// settled waits until the map and write consumers have nothing pending.
func (c *chain) settled() {
	c.t.Helper()
	idle := 0
	natstest.Eventually(c.t, 60*time.Second, "pipeline idle", func() bool {
		busy := false
		for _, name := range []string{streams.StageMap, streams.StageWrite} {
			for _, s := range c.topo.Consumers() {
				if s.Config.Durable != name {
					continue
				}
				cons, err := c.env.JS.Consumer(context.Background(), s.Stream, name)
				if err != nil {
					c.t.Fatal(err)
				}
				info, err := cons.Info(context.Background())
				if err != nil {
					c.t.Fatal(err)
				}
				busy = busy || info.NumPending > 0 || info.NumAckPending > 0
			}
		}
		if busy {
			idle = 0
		} else {
			idle++
		}
		return idle >= 3
	})
}

// apiCalls is the number of v2 API calls the simulator answered so far.
func (c *chain) apiCalls() int {
	n := 0
	for _, call := range c.sim.Calls() {
		n += call.Count
	}
	return n
}

// dlq is the number of dead letters so far.
func (c *chain) dlq() uint64 {
	c.t.Helper()
	st, err := c.env.JS.Stream(context.Background(), streams.DLQ)
	if err != nil {
		c.t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		c.t.Fatal(err)
	}
	return info.State.Msgs
}

// deadLetters describes each DLQ message: stage, reason, key and error.
func (c *chain) deadLetters() []string {
	c.t.Helper()
	ctx := context.Background()
	st, err := c.env.JS.Stream(ctx, streams.DLQ)
	if err != nil {
		c.t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		c.t.Fatal(err)
	}
	var out []string
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			continue
		}
		h := m.Header
		out = append(out, fmt.Sprintf("%s %s %s: %s", h.Get(streams.HeaderDLQStage), h.Get(streams.HeaderDLQReason),
			h.Get(streams.HeaderKey), h.Get(streams.HeaderDLQError)))
	}
	return out
}
