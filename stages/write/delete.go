package write

import (
	"context"
	"fmt"

	"github.com/linuxfoundation/v1sync/stages/intent"
	"github.com/linuxfoundation/v1sync/stages/v2client"
)

// delete removes the mapped v2 object and tombstones its mappings so that no
// later event or backfill recreates it.
func (s *Stage) delete(ctx context.Context, e entity, in intent.Intent, f forwardEntry) error {
	fwd := e.forwardKey(in)
	entry, found := f.Entry, f.found
	var t target
	var err error
	switch {
	case found && entry.Tombstoned():
		s.counts.AlreadyGone.Add(1)
		return nil
	case found && entry.Live():
		t = e.parse(in, entry.Value)
	case found && entry.Pending():
		// A create may have reached v2, or still be in flight elsewhere;
		// once it has settled, find it if the intent says how.
		if err := s.claimSettled(fwd, f); err != nil {
			return err
		}
		if t, err = s.findPending(ctx, e, in); err != nil {
			return err
		}
	}
	if t.UID == "" || t.CommitteeUID == "" && in.Entity == intent.CommitteeMember {
		// Nothing addressable in v2 (never created, or a legacy member
		// mapping without its committee): remember the delete only.
		s.counts.AlreadyGone.Add(1)
		return s.deps.ids.Tombstone(ctx, fwd)
	}
	if err := s.deleteObject(ctx, e, in, t); err != nil {
		return err
	}
	return s.deps.ids.Tombstone(ctx, e.mappingKeys(in, t)...)
}

func (s *Stage) findPending(ctx context.Context, e entity, in intent.Intent) (target, error) {
	if len(in.Base) == 0 {
		return target{}, nil
	}
	body, err := createBody(e, in)
	if err != nil {
		return target{}, nil
	}
	uid, err := e.find(ctx, in, body)
	return target{UID: uid, CommitteeUID: in.CommitteeUID}, err
}

// deleteObject is GET for the ETag, then DELETE If-Match; 404 on either
// means the object is already gone.
func (s *Stage) deleteObject(ctx context.Context, e entity, in intent.Intent, t target) error {
	path := e.basePath(t)
	for round := 1; ; round++ {
		cur, err := s.deps.v2.Get(ctx, e.service(), path)
		if v2client.Is(err, v2client.NotFound) {
			s.counts.AlreadyGone.Add(1)
			return nil
		}
		if err != nil {
			return classify(err)
		}
		if cur.ETag == "" {
			return fmt.Errorf("v2 GET %s: no ETag", path)
		}
		err = s.deps.v2.Delete(ctx, e.service(), path, in.Principal, cur.ETag, e.headers(opDelete))
		switch {
		case err == nil:
			s.counts.Deleted.Add(1)
			return nil
		case v2client.Is(err, v2client.NotFound):
			s.counts.AlreadyGone.Add(1)
			return nil
		case v2client.Is(err, v2client.Stale) && round < s.cfg.MaxStaleRetries:
			s.counts.ETagRetries.Add(1)
		default:
			return classify(err)
		}
	}
}
