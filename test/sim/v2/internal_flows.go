package v2sim

import (
	"context"
	"encoding/json"
	"time"
)

// The committee service's background flows (spec §3.5, §3.7): they write
// through the same paths but with a non-JWT bearer, so their events carry
// no principals.

// internalTimeout bounds one background flow.
const internalTimeout = 30 * time.Second

func (s *Sim) background(f func(ctx context.Context)) {
	if !s.cfg.InternalEffects {
		return
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		ctx, cancel := context.WithTimeout(s.life, internalTimeout)
		defer cancel()
		f(ctx)
	}()
}

func (s *Sim) internalDelivery(ep Endpoint) delivery {
	return delivery{delay: s.cfg.EventDelay, ep: ep}
}

// recountLater recounts a committee's members: when the count changed the
// committee is rewritten (its ETag moves); the index message is re-sent
// either way.
func (s *Sim) recountLater(cuid string, ep Endpoint) {
	s.background(func(ctx context.Context) {
		for range 10 {
			done, err := s.recount(ctx, cuid, ep)
			if done || err != nil {
				return
			}
		}
	})
}

// recount makes one attempt; done is false when a concurrent write won.
func (s *Sim) recount(ctx context.Context, cuid string, ep Endpoint) (done bool, err error) {
	n, err := s.countMembers(ctx, cuid)
	if err != nil {
		return false, err
	}
	var com committeeRecord
	rev, err := getJSON(ctx, s.st.committees, cuid, &com)
	if err != nil {
		return true, nil // committee gone: nothing to recount
	}
	if com.TotalMembers != n {
		com.TotalMembers = n
		if _, err := updateJSON(ctx, s.st.committees, cuid, &com, rev); isStale(err) {
			return false, nil
		} else if err != nil {
			return false, err
		}
	}
	b := s.batch(s.internalDelivery(ep))
	s.indexCommittee(b, internalAuthz, "", actionUpdated, &com)
	return true, b.send()
}

func (s *Sim) countMembers(ctx context.Context, cuid string) (int, error) {
	keys, err := s.memberKeys(ctx, cuid)
	return len(keys), err
}

// memberKeys lists a committee's members through the by-committee index.
func (s *Sim) memberKeys(ctx context.Context, cuid string) ([]string, error) {
	prefix := keyMemberByCommit + cuid + "."
	lister, err := s.st.members.ListKeysFiltered(ctx, prefix+"*")
	if err != nil {
		return nil, err
	}
	var uids []string
	for k := range lister.Keys() {
		uids = append(uids, k[len(prefix):])
	}
	return uids, nil
}

// fanOutMembers re-writes every member's denormalized committee fields
// after a rename/category/project change, as the service's subscriber does.
func (s *Sim) fanOutMembers(com committeeRecord) {
	s.background(func(ctx context.Context) {
		uids, err := s.memberKeys(ctx, com.UID)
		if err != nil {
			return
		}
		for _, muid := range uids {
			s.refreshMember(ctx, &com, muid)
		}
	})
}

func (s *Sim) refreshMember(ctx context.Context, com *committeeRecord, muid string) {
	for range 10 {
		var old memberRecord
		rev, err := getJSON(ctx, s.st.members, muid, &old)
		if err != nil {
			return
		}
		rec := old
		denormalize(&rec, com)
		rec.UpdatedAt = time.Now().UTC()
		if _, err := updateJSON(ctx, s.st.members, muid, &rec, rev); isStale(err) {
			continue
		} else if err != nil {
			return
		}
		b := s.batch(s.internalDelivery(CommitteeUpdate))
		s.publishMemberUpdate(b, internalAuthz, "", &old, &rec)
		_ = b.send()
		return
	}
}

// rawJSON is used by the NATS request/reply handlers.
func rawJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
