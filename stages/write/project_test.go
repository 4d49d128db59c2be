package write

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/idmap"
	"github.com/linuxfoundation/v1sync/stages/v2client"
	"github.com/linuxfoundation/v1sync/test/natstest"
	v2sim "github.com/linuxfoundation/v1sync/test/sim/v2"
)

func TestProjectCreateUpdateUnchangedDelete(t *testing.T) {
	h := newHarness(t, nil)
	root := h.sim.RootUID()
	create := projectIntent(t, "a0P000000000001AAA", 10, projectBase(root, "alpha", "Alpha"),
		map[string]any{"mission_statement": "open source"})
	h.mustHandle(create)

	uid := h.live(idmap.ProjectSFIDKey(create.V1ID))
	if uid == "" || h.live(idmap.ProjectUIDKey(uid)) != create.V1ID {
		t.Fatalf("mappings: forward %q, reverse %q", uid, h.live(idmap.ProjectUIDKey(uid)))
	}
	base, _ := h.get(v2client.Projects, v2client.ProjectPath(uid))
	settings, _ := h.get(v2client.Projects, v2client.ProjectSettingsPath(uid))
	if base["name"] != "Alpha" || base["slug"] != "alpha" || settings["mission_statement"] != "open source" {
		t.Fatalf("created: base %v settings %v", base, settings)
	}

	update := projectIntent(t, create.V1ID, 11, projectBase(root, "alpha", "Alpha Project"),
		map[string]any{"mission_statement": "open source"})
	h.mustHandle(update)
	if base, _ := h.get(v2client.Projects, v2client.ProjectPath(uid)); base["name"] != "Alpha Project" {
		t.Fatalf("after update: %v", base)
	}
	if n := h.calls(v2sim.ProjectUpdate, 200); n != 1 {
		t.Fatalf("base PUTs %d, want 1", n)
	}
	if n := h.calls(v2sim.ProjectSettingsUpdate, 200); n != 0 {
		t.Fatalf("settings PUTs %d, want 0 (settings unchanged)", n)
	}

	// A newer revision with the same content: no call at all.
	h.sim.ResetCalls()
	same := update
	same.SourceRevision = 12
	h.mustHandle(same)
	if c := h.sim.Calls(); len(c) != 0 {
		t.Fatalf("unchanged update made calls: %+v", c)
	}

	// Different intent bytes, same v2 content (key order, explicit empty
	// string): GET only, no PUT.
	b := projectBase(root, "alpha", "Alpha Project")
	b["legal_entity_name"] = ""
	h.mustHandle(projectIntent(t, create.V1ID, 13, b, map[string]any{"mission_statement": "open source"}))
	if n := h.calls(v2sim.ProjectUpdate, 200) + h.calls(v2sim.ProjectSettingsUpdate, 200); n != 0 {
		t.Fatalf("content-equal update made %d PUTs", n)
	}
	if s := h.stage.Stats(); s.Unchanged != 2 || s.Updated != 1 || s.Created != 1 {
		t.Fatalf("counts %+v", s)
	}

	h.mustHandle(deleteIntent(create, 14))
	if _, found := h.get(v2client.Projects, v2client.ProjectPath(uid)); found {
		t.Fatal("project still in v2 after delete")
	}
	for _, k := range []string{idmap.ProjectSFIDKey(create.V1ID), idmap.ProjectUIDKey(uid)} {
		if !h.entry(k).Tombstoned() {
			t.Fatalf("%s not tombstoned", k)
		}
	}
	// A later upsert of the deleted record never recreates it.
	h.mustHandle(projectIntent(t, create.V1ID, 15, projectBase(root, "alpha", "Alpha"), nil))
	if n := len(h.records(v2sim.KindProject)); n != 1 { // ROOT only
		t.Fatalf("%d projects after delete + upsert, want ROOT only", n)
	}
	if s := h.stage.Stats(); s.TombstoneSkipped != 1 || s.Deleted != 1 {
		t.Fatalf("counts %+v", s)
	}
	// Deleting again is a no-op.
	h.mustHandle(deleteIntent(create, 16))
}

func TestVersionGuardDropsStaleIntent(t *testing.T) {
	h := newHarness(t, nil)
	root := h.sim.RootUID()
	h.mustHandle(projectIntent(t, "a0P000000000002AAA", 20, projectBase(root, "beta", "Beta new"), nil))
	h.sim.ResetCalls()
	h.mustHandle(projectIntent(t, "a0P000000000002AAA", 19, projectBase(root, "beta", "Beta old"), nil))
	h.mustHandle(projectIntent(t, "a0P000000000002AAA", 20, projectBase(root, "beta", "Beta old"), nil))
	if c := h.sim.Calls(); len(c) != 0 {
		t.Fatalf("stale intents made calls: %+v", c)
	}
	uid := h.live(idmap.ProjectSFIDKey("a0P000000000002AAA"))
	if base, _ := h.get(v2client.Projects, v2client.ProjectPath(uid)); base["name"] != "Beta new" {
		t.Fatalf("stale intent applied: %v", base["name"])
	}
	if s := h.stage.Stats(); s.StaleDropped != 2 {
		t.Fatalf("stale dropped %d, want 2", s.StaleDropped)
	}
}

func TestV2OnlyFieldsSurviveV1Update(t *testing.T) {
	h := newHarness(t, nil)
	root := h.sim.RootUID()
	in := projectIntent(t, "a0P000000000003AAA", 1, projectBase(root, "gamma", "Gamma"),
		map[string]any{"mission_statement": "m1"})
	h.mustHandle(in)
	uid := h.live(idmap.ProjectSFIDKey(in.V1ID))

	// A v2 user marks it a foundation and adds a writer: fields v1 never sets.
	ctx := context.Background()
	cur, err := h.v2.Get(ctx, v2client.Projects, v2client.ProjectPath(uid))
	if err != nil {
		t.Fatal(err)
	}
	cur.Body["is_foundation"] = true
	delete(cur.Body, "uid")
	if _, err := h.v2.Put(ctx, v2client.Projects, v2client.ProjectPath(uid), "someone@clients", cur.ETag, nil, cur.Body); err != nil {
		t.Fatal(err)
	}
	s, err := h.v2.Get(ctx, v2client.Projects, v2client.ProjectSettingsPath(uid))
	if err != nil {
		t.Fatal(err)
	}
	s.Body["writers"] = []any{map[string]any{"username": "writer1", "name": "W One"}}
	if _, err := h.v2.Put(ctx, v2client.Projects, v2client.ProjectSettingsPath(uid), "someone@clients", s.ETag, nil, s.Body); err != nil {
		t.Fatal(err)
	}

	h.mustHandle(projectIntent(t, in.V1ID, 2, projectBase(root, "gamma", "Gamma renamed"),
		map[string]any{"mission_statement": "m2"}))
	base, _ := h.get(v2client.Projects, v2client.ProjectPath(uid))
	settings, _ := h.get(v2client.Projects, v2client.ProjectSettingsPath(uid))
	if base["name"] != "Gamma renamed" || base["is_foundation"] != true {
		t.Fatalf("base after v1 update: %v", base)
	}
	w, _ := json.Marshal(settings["writers"])
	if settings["mission_statement"] != "m2" || string(w) != `[{"name":"W One","username":"writer1"}]` {
		t.Fatalf("settings after v1 update: %v", settings)
	}
}

// A 409 between our GET and PUT: another writer moves the revision while our
// PUT is in flight; the stage re-GETs and converges.
func TestStaleETagMidUpdateConverges(t *testing.T) {
	h := newHarness(t, nil)
	root := h.sim.RootUID()
	in := projectIntent(t, "a0P000000000004AAA", 1, projectBase(root, "delta", "Delta"), nil)
	h.mustHandle(in)
	uid := h.live(idmap.ProjectSFIDKey(in.V1ID))
	if err := h.sim.SetFault(v2sim.ProjectUpdate, v2sim.Fault{Latency: 300 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	gets := h.calls(v2sim.ProjectGet, 200)
	done := make(chan error, 1)
	go func() {
		done <- h.handle(projectIntent(t, in.V1ID, 2, projectBase(root, "delta", "Delta 2"), nil))
	}()
	natstest.Eventually(t, 5*time.Second, "the stage's GET", func() bool { return h.calls(v2sim.ProjectGet, 200) > gets })
	// A concurrent writer: the service's storage revision moves on.
	kv := h.env.KV(t, v2sim.BucketProjects)
	e, err := kv.Get(context.Background(), uid)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(context.Background(), uid, e.Value()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if h.calls(v2sim.ProjectUpdate, 409) != 1 || h.calls(v2sim.ProjectUpdate, 200) != 1 {
		t.Fatalf("calls %+v", h.sim.Calls())
	}
	if base, _ := h.get(v2client.Projects, v2client.ProjectPath(uid)); base["name"] != "Delta 2" {
		t.Fatalf("not converged: %v", base["name"])
	}
	if h.stage.Stats().ETagRetries != 1 {
		t.Fatalf("etag retries %d", h.stage.Stats().ETagRetries)
	}
}

// The process died after the POST reached v2 and before the mapping was
// written: a retry finds the project by slug and adopts it.
func TestCrashBetweenPostAndMappingAdoptsProject(t *testing.T) {
	h := newHarness(t, nil)
	root := h.sim.RootUID()
	in := projectIntent(t, "a0P000000000005AAA", 1, projectBase(root, "epsilon", "Epsilon"), nil)
	ctx := context.Background()
	if _, err := h.ids.Claim(ctx, idmap.ProjectSFIDKey(in.V1ID)); err != nil {
		t.Fatal(err)
	}
	body, _ := createBody(projectEntity{}, in)
	created, err := h.v2.Post(ctx, v2client.Projects, v2client.ProjectsPath(), "", nil, body)
	if err != nil {
		t.Fatal(err)
	}
	h.leaseExpired()
	h.sim.ResetCalls()
	h.mustHandle(in)
	if n := h.calls(v2sim.ProjectCreate, 201) + h.calls(v2sim.ProjectCreate, 409); n != 0 {
		t.Fatalf("%d POSTs after a crash with the object in v2", n)
	}
	if got := h.live(idmap.ProjectSFIDKey(in.V1ID)); got != created["uid"] {
		t.Fatalf("adopted %q, want %v", got, created["uid"])
	}
	if n := len(h.records(v2sim.KindProject)); n != 2 {
		t.Fatalf("%d projects, want ROOT + 1", n)
	}
	if h.stage.Stats().Adopted != 1 {
		t.Fatalf("counts %+v", h.stage.Stats())
	}
	// A pending claim with nothing in v2 (the crash came before the POST): create.
	in2 := projectIntent(t, "a0P000000000006AAA", 1, projectBase(root, "zeta", "Zeta"), nil)
	if _, err := h.ids.Claim(ctx, idmap.ProjectSFIDKey(in2.V1ID)); err != nil {
		t.Fatal(err)
	}
	h.mustHandle(in2)
	if h.live(idmap.ProjectSFIDKey(in2.V1ID)) == "" || h.stage.Stats().Created != 1 {
		t.Fatalf("pending claim without object: counts %+v", h.stage.Stats())
	}
}

// The impersonated v1 user reaches v2 as the JWT principal the services
// validated, visible in the indexer event's principals.
func TestImpersonatedPrincipalVerifiedBySimulator(t *testing.T) {
	h := newHarness(t, nil)
	row, _ := json.Marshal(map[string]any{"username__c": "jdoe", "sfid": "003000000000001AAA"})
	if _, err := h.objects.Put(context.Background(), "salesforce-merged_user.003000000000001AAA", row); err != nil {
		t.Fatal(err)
	}
	events := make(chan *nats.Msg, 16)
	sub, err := h.env.NC.ChanSubscribe("lfx.project.created", events)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	in := projectIntent(t, "a0P000000000007AAA", 1, projectBase(h.sim.RootUID(), "eta", "Eta"), nil)
	in.Principal = "003000000000001AAA"
	h.mustHandle(in)
	select {
	case m := <-events:
		var ev struct {
			Body struct {
				CreatedBy []string `json:"created_by_principals"`
			} `json:"body"`
		}
		if err := json.Unmarshal(m.Data, &ev); err != nil {
			t.Fatal(err)
		}
		if len(ev.Body.CreatedBy) != 1 || ev.Body.CreatedBy[0] != "jdoe" {
			t.Fatalf("created_by_principals %v, want [jdoe]", ev.Body.CreatedBy)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no lfx.project.created event")
	}
}

func TestRejectedCreateIsPermanentWithBody(t *testing.T) {
	h := newHarness(t, nil)
	b := projectBase(h.sim.RootUID(), "Not A Slug", "Bad")
	err := h.handle(projectIntent(t, "a0P000000000008AAA", 1, b, nil))
	if err == nil || !isPermanentReason(err, "v2-rejected") || !containsAll(err.Error(), "400", "slug") {
		t.Fatalf("want permanent v2-rejected with the body, got %v", err)
	}
}

// Two v1 projects with one slug: the second must not adopt the first's v2
// project.
func TestSlugTakenByAnotherRecordIsPermanentConflict(t *testing.T) {
	h := newHarness(t, nil)
	root := h.sim.RootUID()
	h.mustHandle(projectIntent(t, "a0P000000000009AAA", 1, projectBase(root, "shared", "One"), nil))
	err := h.handle(projectIntent(t, "a0P000000000010AAA", 1, projectBase(root, "shared", "Two"), nil))
	if !isPermanentReason(err, "v2-conflict") || !containsAll(err.Error(), "a0P000000000009AAA") {
		t.Fatalf("want permanent v2-conflict naming the owner, got %v", err)
	}
	if n := len(h.records(v2sim.KindProject)); n != 2 {
		t.Fatalf("%d projects, want ROOT + 1", n)
	}
}

// Two v1 projects with one slug, the second arriving while the first is
// between its POST and its mapping write: the second finds the object by
// slug with no owner yet and adopts it, so the first must not map to it
// too. Exactly one v1 record ends mapped to the one v2 project.
func TestDuplicateNaturalKeyRacingACreateMapsOneRecord(t *testing.T) {
	h := newHarness(t, nil)
	root := h.sim.RootUID()
	a := projectIntent(t, "a0P000000000012AAA", 1, projectBase(root, "twin", "Twin A"), nil)
	b := projectIntent(t, "a0P000000000013AAA", 1, projectBase(root, "twin", "Twin B"), nil)
	var errB error
	afterCreate = func() {
		afterCreate = nil
		errB = h.handle(b)
	}
	t.Cleanup(func() { afterCreate = nil })
	errA := h.handle(a)
	if errB != nil {
		t.Fatalf("the adopting record: %v", errB)
	}
	if !isPermanentReason(errA, "v2-conflict") || !containsAll(errA.Error(), "a0P000000000013AAA") {
		t.Fatalf("the creating record: want a permanent v2-conflict naming the adopter, got %v", errA)
	}
	uid := h.live(idmap.ProjectSFIDKey(b.V1ID))
	if uid == "" || h.live(idmap.ProjectSFIDKey(a.V1ID)) != "" || h.live(idmap.ProjectUIDKey(uid)) != b.V1ID {
		t.Fatalf("mappings: a=%q b=%q reverse=%q", h.live(idmap.ProjectSFIDKey(a.V1ID)), uid, h.live(idmap.ProjectUIDKey(uid)))
	}
	if n := len(h.records(v2sim.KindProject)); n != 2 {
		t.Fatalf("%d projects, want ROOT + 1", n)
	}
}

// A claim made moments ago by another worker may have its POST in flight:
// the stage waits out the lease (Retry with the remaining time), no POST.
func TestFreshForeignClaimIsWaitedOut(t *testing.T) {
	h := newHarness(t, nil)
	in := projectIntent(t, "a0P000000000011AAA", 1, projectBase(h.sim.RootUID(), "inflight", "In flight"), nil)
	if _, err := h.ids.Claim(context.Background(), idmap.ProjectSFIDKey(in.V1ID)); err != nil {
		t.Fatal(err)
	}
	err := h.handle(in)
	d, ok := pipeline.RetryAfter(err)
	if !ok || d <= 0 || d > h.stage.cfg.ClaimLease {
		t.Fatalf("want a retry within the lease, got %v (%v)", err, d)
	}
	if n := h.calls(v2sim.ProjectCreate, 201); n != 0 {
		t.Fatalf("%d POSTs while the claim is fresh", n)
	}
	h.leaseExpired()
	h.mustHandle(in)
	if h.live(idmap.ProjectSFIDKey(in.V1ID)) == "" || h.calls(v2sim.ProjectCreate, 201) != 1 {
		t.Fatalf("after the lease: calls %+v", h.sim.Calls())
	}
}
