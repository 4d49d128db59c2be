package write

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/idmap"
	"github.com/linuxfoundation/v1sync/stages/intent"
	"github.com/linuxfoundation/v1sync/stages/v2client"
	"github.com/linuxfoundation/v1sync/streams"
)

// SSOGroupWriter tells v1 the SSO group name v2 generated for a committee
// (v1 PATCH project-service/v2/projects/{projectSFID}/committees/{sfid}).
type SSOGroupWriter interface {
	WriteSSOGroupName(ctx context.Context, projectSFID, committeeSFID, ssoGroupName string) error
}

// Deps are the stage's collaborators.
type Deps struct {
	V2 *v2client.Client
	// Mappings is the v1-mappings bucket, State the v1sync-state bucket.
	Mappings jetstream.KeyValue
	State    jetstream.KeyValue
	// SSO may be nil: no write-back.
	SSO SSOGroupWriter
	// Log may be nil.
	Log *zerolog.Logger
}

type deps struct {
	v2       *v2client.Client
	ids      *idmap.IDMap
	mappings jetstream.KeyValue
}

// Stage is the write stage.
type Stage struct {
	cfg      Config
	deps     *deps
	guard    guard
	sso      SSOGroupWriter
	log      zerolog.Logger
	entities map[intent.Entity]entity
	counts   Counts
	// settled holds forward keys whose pending claim (by revision) this
	// process made and whose create call has returned: a retry may recover
	// them at once instead of waiting out the claim lease.
	settled sync.Map
	now     func() time.Time
}

// New returns the write stage.
func New(cfg Config, d Deps) (*Stage, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.V2 == nil || d.Mappings == nil || d.State == nil {
		return nil, fmt.Errorf("write: v2 client, mappings and state buckets are required")
	}
	if lease, timeout := cfg.ClaimLease, d.V2.Timeout(); lease < 2*timeout {
		return nil, fmt.Errorf("write: claim lease %s must be at least twice the v2 HTTP timeout %s", lease, timeout)
	}
	shared := &deps{v2: d.V2, ids: idmap.New(d.Mappings), mappings: d.Mappings}
	s := &Stage{cfg: cfg, deps: shared, guard: guard{kv: d.State}, sso: d.SSO, log: zerolog.Nop(), now: time.Now}
	if d.Log != nil {
		s.log = *d.Log
	}
	s.entities = map[intent.Entity]entity{
		intent.Project:         projectEntity{deps: shared},
		intent.Committee:       committeeEntity{deps: shared},
		intent.CommitteeMember: newMemberEntity(shared, cfg.SkipMemberNotifications),
	}
	return s, nil
}

// Name is the durable consumer's name.
func (s *Stage) Name() string { return streams.StageWrite }

// Stats returns the outcome counters.
func (s *Stage) Stats() Snapshot { return s.counts.Snapshot() }

// Handle applies one intent. It publishes nothing downstream.
func (s *Stage) Handle(ctx context.Context, msg *pipeline.Message) ([]*pipeline.Message, error) {
	in, err := intent.Unmarshal(msg.Data)
	if err == nil && in.Op == intent.Upsert && in.Entity == intent.CommitteeMember && in.CommitteeUID == "" {
		err = fmt.Errorf("intent %s: member upsert without committee uid", in.Key)
	}
	if err != nil {
		return nil, pipeline.Permanent(pipeline.WithReason(err, "malformed"))
	}
	if err := s.apply(ctx, in); err != nil {
		return nil, &pipeline.KeyError{Stage: streams.StageWrite, Key: in.Key, Err: err}
	}
	return nil, nil
}

// apply runs the version guard around the entity's flow. SourceRevision 0
// means unversioned (e.g. a hand-made redrive) and bypasses the guard.
func (s *Stage) apply(ctx context.Context, in intent.Intent) error {
	e := s.entities[in.Entity]
	st, err := s.read(ctx, in, e)
	if err != nil {
		return err
	}
	if in.SourceRevision != 0 && in.SourceRevision <= st.last.Rev {
		s.counts.StaleDropped.Add(1)
		return nil
	}
	hash := ""
	if in.Op == intent.Upsert {
		hash = contentHash(in)
		err = s.upsert(ctx, e, in, st.forward, hash == st.last.Hash)
	} else {
		err = s.delete(ctx, e, in, st.forward)
	}
	if err != nil || in.SourceRevision == 0 {
		return err
	}
	return s.guard.record(ctx, in.Key, applied{Rev: in.SourceRevision, Hash: hash}, st.guardRev)
}

// keyState is what an intent is decided on: the version guard and the
// forward mapping.
type keyState struct {
	last     applied
	guardRev uint64
	forward  forwardEntry
}

// forwardEntry is the forward mapping; found is false when it has no value.
type forwardEntry struct {
	idmap.Entry
	found   bool
	created time.Time
}

// read fetches the guard and the forward mapping concurrently: two
// independent round trips on every intent.
func (s *Stage) read(ctx context.Context, in intent.Intent, e entity) (keyState, error) {
	var st keyState
	var gerr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		st.last, st.guardRev, gerr = s.guard.last(ctx, in.Key)
	}()
	var err error
	st.forward, err = s.forward(ctx, e.forwardKey(in))
	<-done
	return st, errors.Join(gerr, err)
}

// forward reads a forward mapping with its write time (for claim leases).
func (s *Stage) forward(ctx context.Context, key string) (forwardEntry, error) {
	e, err := s.deps.mappings.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return forwardEntry{}, nil
	}
	if err != nil {
		return forwardEntry{}, fmt.Errorf("idmap get %s: %w", key, err)
	}
	return forwardEntry{Entry: idmap.Entry{Value: string(e.Value()), Revision: e.Revision()},
		found: true, created: e.Created()}, nil
}
