package v2sim

import (
	"context"
	"errors"

	"github.com/nats-io/nats.go/jetstream"
)

// Reset purges every bucket, re-seeds ROOT with the same uid and forgets
// calls and faults, so that one simulator can serve several tests. Call it
// while no requests are in flight. Revisions keep growing, as they would.
func (s *Sim) Reset(ctx context.Context) error {
	for _, b := range allBuckets {
		kv := s.st.byName[b]
		keys, err := kv.ListKeys(ctx)
		if err != nil {
			return err
		}
		for k := range keys.Keys() {
			if err := kv.Purge(ctx, k); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
				return err
			}
		}
		kv.(*cachedKV).forget()
	}
	s.cfg.RootUID = s.rootUID
	if _, err := s.seedRoot(ctx); err != nil {
		return err
	}
	s.ResetCalls()
	s.ClearFaults()
	return nil
}

// ObjectsOf lists the stored objects of one kind (KindProject, …).
func (s *Sim) ObjectsOf(ctx context.Context, kind string) ([]Object, error) {
	all, err := s.Objects(ctx)
	if err != nil {
		return nil, err
	}
	var out []Object
	for _, o := range all {
		if o.Kind == kind {
			out = append(out, o)
		}
	}
	return out, nil
}
