package write

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/idmap"
	"github.com/linuxfoundation/v1sync/stages/intent"
	"github.com/linuxfoundation/v1sync/stages/v2client"
)

// upsert routes on the forward mapping: tombstone -> skip, live -> update,
// pending -> recover a possibly lost create, none -> claim and create.
func (s *Stage) upsert(ctx context.Context, e entity, in intent.Intent, f forwardEntry, sameContent bool) error {
	switch {
	case f.found && f.Tombstoned():
		s.counts.TombstoneSkipped.Add(1)
		return nil
	case f.found && f.Live():
		return s.updateMapped(ctx, e, in, e.parse(in, f.Value), sameContent)
	case f.found:
		// Pending (or empty): a create may have reached v2 before a crash.
		return s.recoverClaim(ctx, e, in, f)
	}
	fwd := e.forwardKey(in)
	rev, err := s.deps.ids.Claim(ctx, fwd)
	if errors.Is(err, idmap.ErrClaimed) {
		return pipeline.Retry(fmt.Errorf("forward key %s was claimed concurrently", fwd), 0)
	}
	if err != nil {
		return err
	}
	return s.create(ctx, e, in, rev, false)
}

// updateMapped updates an object the ID map knows.
func (s *Stage) updateMapped(ctx context.Context, e entity, in intent.Intent, t target, sameContent bool) error {
	if in.Entity == intent.CommitteeMember && t.CommitteeUID != in.CommitteeUID {
		return s.move(ctx, e, in, t)
	}
	if sameContent {
		s.counts.Unchanged.Add(1)
		return nil
	}
	if err := s.update(ctx, e, in, t); err != nil {
		return err
	}
	// As the prior art, rewrite the mappings: their values carry parent and
	// contact SFIDs that may have changed, and legacy member values get the
	// current format.
	return e.storeMappings(ctx, in, t)
}

// recoverClaim takes over a settled pending claim and finds or creates the
// object.
func (s *Stage) recoverClaim(ctx context.Context, e entity, in intent.Intent, f forwardEntry) error {
	fwd := e.forwardKey(in)
	if err := s.claimSettled(fwd, f); err != nil {
		return err
	}
	rev, err := s.takeOver(ctx, fwd, f.Revision)
	if err != nil {
		return err
	}
	return s.create(ctx, e, in, rev, true)
}

// takeOver renews a pending claim with CAS before a recovery: of several
// workers that find the same settled claim, one wins and the others wait
// out the renewed lease, so two creates of one record never overlap.
func (s *Stage) takeOver(ctx context.Context, fwd string, rev uint64) (uint64, error) {
	next, err := s.deps.mappings.Update(ctx, fwd, []byte(idmap.Pending), rev)
	if isCASConflict(err) {
		return 0, pipeline.Retry(fmt.Errorf("forward key %s was taken over concurrently", fwd), 0)
	}
	if err != nil {
		return 0, fmt.Errorf("idmap renew claim %s: %w", fwd, err)
	}
	return next, nil
}

// claimSettled says whether a pending claim may be recovered now: its create
// call returned in this process, or the claim is older than the lease (any
// create by the worker that made it has long finished or timed out).
// Recovering a claim whose POST is still in flight could create a second
// object where the service's uniqueness check is not atomic (project slugs).
func (s *Stage) claimSettled(fwd string, f forwardEntry) error {
	if rev, ok := s.settled.Load(fwd); ok && rev.(uint64) == f.Revision {
		return nil
	}
	age := s.now().Sub(f.created)
	if age >= s.cfg.ClaimLease {
		return nil
	}
	return pipeline.Retry(fmt.Errorf("forward key %s is claimed by a create that may be in flight", fwd), s.cfg.ClaimLease-age)
}

// create POSTs the object once the forward key is claimed. When recovering
// (the claim was already there) it first looks the object up by natural key
// and adopts it, so a lost response never yields a second v2 object.
func (s *Stage) create(ctx context.Context, e entity, in intent.Intent, claim uint64, recovering bool) error {
	fwd := e.forwardKey(in)
	body, err := createBody(e, in)
	if err != nil {
		return pipeline.Permanent(pipeline.WithReason(err, "malformed"))
	}
	if recovering {
		t, ok, err := s.adoptable(ctx, e, in, body)
		if err != nil {
			return err
		}
		if ok {
			return s.adopt(ctx, e, in, t)
		}
	}
	resp, err := s.deps.v2.Post(ctx, e.service(), e.createPath(in), in.Principal, e.headers(opCreate), body)
	s.settled.Store(fwd, claim)
	if v2client.Is(err, v2client.Conflict) {
		return s.recoverConflict(ctx, e, in, body, err)
	}
	if err != nil {
		return classify(err)
	}
	t := e.created(in, resp)
	if t.UID == "" {
		return fmt.Errorf("v2 create answered without a uid")
	}
	if afterCreate != nil {
		afterCreate()
	}
	if err := e.storeMappings(ctx, in, t); err != nil {
		return err
	}
	s.settled.Delete(fwd)
	s.counts.Created.Add(1)
	s.writeBackSSO(ctx, in, resp)
	return nil
}

// recoverConflict handles a 409 on create: the object exists (often our own
// create whose response was lost, or a 500-after-write).
func (s *Stage) recoverConflict(ctx context.Context, e entity, in intent.Intent, body map[string]any, cause error) error {
	t, ok, err := s.adoptable(ctx, e, in, body)
	if err != nil {
		return err
	}
	if ok {
		return s.adopt(ctx, e, in, t)
	}
	// Indexer events lag writes: the finder may see it on a later attempt.
	return pipeline.Retry(fmt.Errorf("%w (not yet visible by natural key)", cause), s.cfg.ConflictRetryAfter)
}

// afterCreate runs between a successful POST and the mapping write; crash
// tests set it to kill the process at the worst moment.
var afterCreate func()

func createBody(e entity, in intent.Intent) (map[string]any, error) {
	base, err := fields(in.Base)
	if err != nil {
		return nil, err
	}
	settings, err := fields(in.Settings)
	if err != nil {
		return nil, err
	}
	// Settings travel flat in the create body; nulls are simply not sent.
	body := overlay(nil, settings)
	maps.Copy(body, overlay(nil, base))
	e.parents(in, body)
	return withDefaults(body, e.defaults()), nil
}

// adoptable finds the object by natural key. Whether another v1 record
// owns it is decided when adopt stores the mappings (storeMappings), as one
// compare-and-set, not by a read here that a concurrent create could race.
func (s *Stage) adoptable(ctx context.Context, e entity, in intent.Intent, body map[string]any) (target, bool, error) {
	uid, err := e.find(ctx, in, body)
	if err != nil || uid == "" {
		return target{}, false, err
	}
	return target{UID: uid, CommitteeUID: in.CommitteeUID}, true, nil
}

// adopt maps an object found by natural key, then brings it up to date.
func (s *Stage) adopt(ctx context.Context, e entity, in intent.Intent, t target) error {
	if err := e.storeMappings(ctx, in, t); err != nil {
		return err
	}
	s.settled.Delete(e.forwardKey(in))
	s.counts.Adopted.Add(1)
	return s.update(ctx, e, in, t)
}

// move handles a member whose committee changed in v1: member identity is
// committee + email in v2, so the old member is removed and a new one made.
func (s *Stage) move(ctx context.Context, e entity, in intent.Intent, old target) error {
	if err := s.deleteObject(ctx, e, in, old); err != nil {
		return err
	}
	if err := s.deps.ids.Tombstone(ctx, idmap.MemberUIDKey(old.UID), idmap.MemberRecordKey(old.UID)); err != nil {
		return err
	}
	rev, err := s.deps.mappings.Put(ctx, e.forwardKey(in), []byte(idmap.Pending))
	if err != nil {
		return fmt.Errorf("idmap put %s: %w", e.forwardKey(in), err)
	}
	s.settled.Store(e.forwardKey(in), rev)
	return s.create(ctx, e, in, rev, true)
}
