package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"
	"github.com/synadia-io/orbit.go/pcgroups"

	"github.com/linuxfoundation/v1sync/streams"
)

// Dispatcher receives a group member's messages; the Runner is one.
type Dispatcher interface {
	// Dispatch handles one message to the end (publish, ack, retry or
	// dead-letter). It may return before the message is settled.
	Dispatch(m jetstream.Msg)
	// Drain waits until every dispatched message is settled or ctx ends.
	Drain(ctx context.Context) error
}

// DispatchFunc is a Dispatcher whose function settles each message before it
// returns.
type DispatchFunc func(m jetstream.Msg)

func (f DispatchFunc) Dispatch(m jetstream.Msg)    { f(m) }
func (f DispatchFunc) Drain(context.Context) error { return nil }

// boundMarker is implemented by dispatchers that report readiness (the
// Runner): a member is bound while it consumes the partitions it owns.
type boundMarker interface{ MarkBound(bound bool) }

// fencedRetry is how soon a member retries to take partitions that another
// member is still handing over.
const fencedRetry = 200 * time.Millisecond

// groupMember is one process in a stage's consumer group.
type groupMember struct {
	cfg     GroupConfig
	js      jetstream.JetStream
	d       Dispatcher
	live    *groupLiveness
	cons    *memberConsumer
	changes jetstream.KeyWatcher // membership updates
	// stopBeats stops the heartbeat goroutine; leave calls it only once
	// the partitions are handed over, so nobody evicts us mid-handover.
	stopBeats func()
	log       zerolog.Logger

	// gate lets leave wait for Dispatch calls in progress and refuse new
	// ones: a message not dispatched stays unacked for the next owner.
	gate   sync.RWMutex
	closed bool
}

// RunGroup makes this process a member of cfg's consumer group and hands
// every message of its partitions to d, until ctx ends; it then leaves the
// group gracefully (stop pulling, drain d, hand the partitions over) within
// cfg.LeaveTimeout and returns nil. The group must have been created by
// streams.ProvisionGroups.
func RunGroup(ctx context.Context, js jetstream.JetStream, cfg GroupConfig, d Dispatcher) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	m := &groupMember{cfg: cfg, js: js, d: d,
		log: cfg.Log.With().Str(FieldStage, cfg.Stage).Str(FieldMember, cfg.Member).Logger()}
	m.cons = &memberConsumer{cfg: cfg, js: js, dispatch: m.dispatch, inflight: newInflight(), log: m.log,
		lease: func() *memberLease { return m.live.lease }}
	if err := m.start(ctx); err != nil {
		return err
	}
	return m.run(ctx)
}

func (m *groupMember) start(ctx context.Context) error {
	name := m.cfg.groupStream()
	if _, err := pcgroups.GetElasticConsumerGroupConfig(ctx, m.js, m.cfg.Stream, m.cfg.Stage); err != nil {
		return fmt.Errorf("group %s: not provisioned (v1sync provision with the stage in group mode): %w", name, err)
	}
	groups, err := m.js.KeyValue(ctx, streams.BucketGroups)
	if err != nil {
		return fmt.Errorf("group %s: %w", name, err)
	}
	// The watchers live until leave stops them, not until ctx ends.
	if m.changes, err = groups.Watch(context.WithoutCancel(ctx), streams.GroupKey(m.cfg.Stream, m.cfg.Stage)); err != nil {
		return fmt.Errorf("group %s: watch membership: %w", name, err)
	}
	members, err := m.js.KeyValue(ctx, streams.BucketMembers)
	if err != nil {
		return fmt.Errorf("group %s: members bucket %s: %w", name, streams.BucketMembers, err)
	}
	m.live, err = watchLiveness(context.WithoutCancel(ctx), members, name, m.cfg.Member, m.cfg.DeadAfter)
	if err != nil {
		return fmt.Errorf("group %s: watch heartbeats: %w", name, err)
	}
	// Heartbeat before joining, so that no member evicts us as unknown.
	if err := m.live.beat(ctx); err != nil {
		return errors.Join(fmt.Errorf("group %s: heartbeat: %w", name, err), m.leave())
	}
	if err := m.join(ctx); err != nil {
		return errors.Join(err, m.leave())
	}
	m.log.Info().Msg("joined consumer group")
	return nil
}

func (m *groupMember) dispatch(msg jetstream.Msg, epoch uint64) {
	m.gate.RLock()
	defer m.gate.RUnlock()
	if m.closed {
		return
	}
	g, err := newGroupMsg(msg, m.cons.inflight, m.cfg.AckWait)
	if err != nil {
		m.log.Error().Err(err).Str(FieldSubject, msg.Subject()).Msg("terminating undecodable delivery")
		_ = msg.TermWithReason("no metadata")
		return
	}
	g.lease, g.epoch = m.live.lease, epoch
	m.d.Dispatch(g)
}

// join adds us to the membership; the update is a compare-and-set, so it
// is retried when another member changed the membership at the same time.
func (m *groupMember) join(ctx context.Context) error {
	var err error
	for range 5 {
		if _, err = pcgroups.AddMembers(ctx, m.js, m.cfg.Stream, m.cfg.Stage, []string{m.cfg.Member}); err == nil {
			return nil
		}
	}
	return fmt.Errorf("group %s: join as %s: %w", m.cfg.groupStream(), m.cfg.Member, err)
}

func (m *groupMember) run(ctx context.Context) error {
	m.stopBeats = m.heartbeat()
	defer m.stopBeats()
	tick := time.NewTicker(m.cfg.Heartbeat)
	defer tick.Stop()
	var retry <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return m.leave()
		case e, ok := <-m.changes.Updates():
			if !ok || (e != nil && e.Operation() != jetstream.KeyValuePut) {
				return errors.Join(fmt.Errorf("group %s: deleted while member %s ran",
					m.cfg.groupStream(), m.cfg.Member), m.leave())
			}
		case <-tick.C:
		case <-retry:
		}
		retry = nil
		if m.maintain() {
			retry = time.After(fencedRetry)
		}
	}
}

// heartbeat proves we are alive on its own goroutine, so that a long
// handover never makes us look dead. The returned func stops it.
func (m *groupMember) heartbeat() (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(m.cfg.Heartbeat)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), m.cfg.DeadAfter)
				if err := m.live.beat(ctx); err != nil {
					m.log.Warn().Err(err).Msg("heartbeat failed")
				}
				cancel()
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done); <-finished }) }
}

// maintain evicts dead members, rejoins if we were evicted, and moves our
// consumer to the partitions the membership gives us. It reports whether it
// must run again soon because our new partitions are still fenced.
func (m *groupMember) maintain() bool {
	ctx, cancel := context.WithTimeout(context.Background(), m.cfg.DeadAfter+m.cfg.HandoverTimeout)
	defer cancel()
	gc, err := pcgroups.GetElasticConsumerGroupConfig(ctx, m.js, m.cfg.Stream, m.cfg.Stage)
	if err != nil {
		m.log.Warn().Err(err).Msg("read group membership")
		return false
	}
	if !gc.IsInMembership(m.cfg.Member) { // we were evicted while stalled
		m.log.Warn().Msg("not a member any more; joining again")
		m.cons.lost.Store(true) // the evictor deleted our consumer
		if err := m.join(ctx); err != nil {
			m.log.Warn().Err(err).Msg("rejoin")
		}
		return false
	}
	for _, dead := range m.live.dead(gc.Members) {
		m.evict(ctx, dead)
	}
	want := pcgroups.ElasticGetPartitionFilters(*gc, m.cfg.Member)
	m.cons.check(ctx)
	err = m.cons.reconcile(ctx, want)
	m.markBound(err == nil && (len(want) == 0 || m.cons.consuming(want)))
	if err != nil && !errors.Is(err, errFenced) {
		m.log.Warn().Err(err).Msg("take partitions")
	}
	return err != nil
}

// evict removes a member whose heartbeat stopped. Deleting its consumer
// first lifts the work queue's fence on its partitions and leaves its
// unacked messages at their head; removing it from the membership then makes
// the survivors take the partitions over.
func (m *groupMember) evict(ctx context.Context, dead string) {
	err := m.js.DeleteConsumer(ctx, m.cfg.groupStream(), dead)
	if err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		m.log.Warn().Err(err).Msgf("delete the consumer of dead member %s", dead)
		return
	}
	if _, err := pcgroups.DeleteMembers(ctx, m.js, m.cfg.Stream, m.cfg.Stage, []string{dead}); err != nil {
		m.log.Warn().Err(err).Msgf("remove dead member %s", dead) // retried next tick
		return
	}
	m.log.Warn().Msgf("evicted dead member %s; its partitions move to the others", dead)
	if err := m.live.forget(ctx, dead); err != nil {
		m.log.Warn().Err(err).Msgf("delete the heartbeat of dead member %s", dead)
	}
}

func (m *groupMember) markBound(bound bool) {
	if b, ok := m.d.(boundMarker); ok {
		b.MarkBound(bound)
	}
}
