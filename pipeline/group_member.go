package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
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
// Runner): a member is bound while its consumer matches its partitions.
type boundMarker interface{ MarkBound(bound bool) }

func (m *groupMember) markBound(bound bool) {
	if b, ok := m.d.(boundMarker); ok {
		b.MarkBound(bound)
	}
}

// staleTicks is how many heartbeats our consumer may be missing or filtered
// to the wrong partitions before we restart the pcgroups instance. pcgroups
// itself retries only every AckWait after losing a race for a partition.
const staleTicks = 3

// groupMember is one process in a stage's consumer group.
type groupMember struct {
	cfg  GroupConfig
	js   jetstream.JetStream
	d    Dispatcher
	live *groupLiveness
	inst pcgroups.ConsumerGroupConsumeContext
	// gate lets leave wait for Dispatch calls in progress and refuse new
	// ones: a message not dispatched stays unacked for the next owner.
	gate   sync.RWMutex
	closed bool
	stale  int
	log    zerolog.Logger
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
		log: cfg.Log.With().Str("stage", cfg.Stage).Str("member", cfg.Member).Logger()}
	if err := m.start(ctx); err != nil {
		return err
	}
	return m.run(ctx)
}

func (m *groupMember) start(ctx context.Context) error {
	if _, err := pcgroups.GetElasticConsumerGroupConfig(ctx, m.js, m.cfg.Stream, m.cfg.Stage); err != nil {
		return fmt.Errorf("group %s: not provisioned (v1sync provision with the stage in group mode): %w",
			m.cfg.groupStream(), err)
	}
	kv, err := m.js.KeyValue(ctx, streams.BucketMembers)
	if err != nil {
		return fmt.Errorf("group %s: members bucket %s: %w", m.cfg.groupStream(), streams.BucketMembers, err)
	}
	if m.live, err = watchLiveness(ctx, kv, m.cfg.groupStream(), m.cfg.Member, m.cfg.DeadAfter); err != nil {
		return fmt.Errorf("group %s: watch heartbeats: %w", m.cfg.groupStream(), err)
	}
	// Heartbeat before joining, so that no member evicts us as unknown.
	if err := m.live.beat(ctx); err != nil {
		m.live.stop()
		return fmt.Errorf("group %s: heartbeat: %w", m.cfg.groupStream(), err)
	}
	if err := m.consume(ctx); err != nil {
		m.live.stop()
		return err
	}
	if err := m.join(ctx); err != nil {
		return errors.Join(err, m.leave())
	}
	m.log.Info().Msg("joined consumer group")
	return nil
}

// consume starts the pcgroups instance; it consumes once we are a member.
func (m *groupMember) consume(ctx context.Context) error {
	// pcgroups watches the membership with this context for the life of the
	// instance, so it must not end with the caller's (a tick, or the run:
	// leave stops the instance itself).
	inst, err := pcgroups.ElasticConsume(context.WithoutCancel(ctx), m.js, m.cfg.Stream, m.cfg.Stage, m.cfg.Member,
		m.dispatch, m.cfg.consumerTemplate())
	if err != nil {
		return fmt.Errorf("group %s: consume as %s: %w", m.cfg.groupStream(), m.cfg.Member, err)
	}
	m.inst = inst
	return nil
}

func (m *groupMember) dispatch(msg jetstream.Msg) {
	m.gate.RLock()
	defer m.gate.RUnlock()
	if !m.closed {
		m.d.Dispatch(newGroupMsg(msg))
	}
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
	tick := time.NewTicker(m.cfg.Heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return m.leave()
		case err := <-m.inst.Done():
			// The group was deleted or changed in a way members cannot follow.
			m.live.stop()
			if err == nil {
				err = errors.New("group deleted")
			}
			return fmt.Errorf("group %s: member %s stopped: %w", m.cfg.groupStream(), m.cfg.Member, err)
		case <-tick.C:
			m.tick()
		}
	}
}

// tick proves we are alive, evicts dead members and repairs our own state.
func (m *groupMember) tick() {
	ctx, cancel := context.WithTimeout(context.Background(), m.cfg.DeadAfter)
	defer cancel()
	if err := m.live.beat(ctx); err != nil {
		m.log.Warn().Err(err).Msg("heartbeat failed")
	}
	gc, err := pcgroups.GetElasticConsumerGroupConfig(ctx, m.js, m.cfg.Stream, m.cfg.Stage)
	if err != nil {
		m.log.Warn().Err(err).Msg("read group membership")
		return
	}
	if !gc.IsInMembership(m.cfg.Member) { // we were evicted while stalled
		m.log.Warn().Msg("not a member any more; joining again")
		if err := m.join(ctx); err != nil {
			m.log.Warn().Err(err).Msg("rejoin")
		}
		return
	}
	for _, dead := range m.live.dead(gc.Members) {
		m.evict(ctx, dead)
	}
	m.repair(ctx, gc)
}

// evict removes a member whose heartbeat stopped. Deleting its consumer
// first lifts the work queue's fence on its partitions and leaves its
// unacked messages at their head; removing it from the membership then makes
// the survivors take the partitions over.
func (m *groupMember) evict(ctx context.Context, dead string) {
	err := m.js.DeleteConsumer(ctx, m.cfg.groupStream(), dead)
	if err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		m.log.Warn().Err(err).Str("dead", dead).Msg("delete dead member's consumer")
		return
	}
	if _, err := pcgroups.DeleteMembers(ctx, m.js, m.cfg.Stream, m.cfg.Stage, []string{dead}); err != nil {
		m.log.Warn().Err(err).Str("dead", dead).Msg("remove dead member") // retried next tick
		return
	}
	m.log.Warn().Str("dead", dead).Msg("evicted dead member; its partitions move to the others")
	if err := m.live.forget(ctx, dead); err != nil {
		m.log.Warn().Err(err).Str("dead", dead).Msg("delete dead member's heartbeat")
	}
}

// repair restarts our pcgroups instance when our consumer has been missing
// or filtered to other partitions than the membership gives us for several
// ticks, which happens when we lost a creation race during a rebalance.
func (m *groupMember) repair(ctx context.Context, gc *pcgroups.ElasticConsumerGroupConfig) {
	want := pcgroups.ElasticGetPartitionFilters(*gc, m.cfg.Member)
	if len(want) == 0 || m.consumerFilters(ctx, want) {
		m.stale = 0
		m.markBound(true) // a member without partitions (more members than partitions) is idle, not broken
		return
	}
	m.markBound(false)
	if m.stale++; m.stale < staleTicks {
		return
	}
	m.stale = 0
	m.log.Warn().Msg("own consumer missing or stale; restarting group consumption")
	m.inst.Stop()
	<-m.inst.Done()
	if err := m.consume(ctx); err != nil {
		m.log.Warn().Err(err).Msg("restart group consumption")
	}
}

// consumerFilters reports whether our consumer exists with filters want.
func (m *groupMember) consumerFilters(ctx context.Context, want []string) bool {
	c, err := m.js.Consumer(ctx, m.cfg.groupStream(), m.cfg.Member)
	if err != nil {
		return false
	}
	have := slices.Clone(c.CachedInfo().Config.FilterSubjects)
	slices.Sort(have)
	want = slices.Clone(want)
	slices.Sort(want)
	return slices.Equal(have, want)
}

// leave hands our partitions over: stop pulling, let in-flight work settle,
// delete our consumer (lifting the fence), then leave the membership so the
// others take the partitions at once instead of after DeadAfter.
func (m *groupMember) leave() error {
	ctx, cancel := context.WithTimeout(context.Background(), m.cfg.LeaveTimeout)
	defer cancel()
	m.inst.Stop()
	var errs []error
	select {
	case <-m.inst.Done():
	case <-ctx.Done():
	}
	m.markBound(false)
	// Drain first: it stops the runner, which unblocks Dispatch calls
	// waiting for room and hands later deliveries back.
	if err := m.d.Drain(ctx); err != nil {
		errs = append(errs, fmt.Errorf("drain: %w", err))
	}
	if err := m.closeGate(ctx); err != nil {
		errs = append(errs, fmt.Errorf("dispatch calls still running: %w", err))
	}
	if err := m.js.DeleteConsumer(ctx, m.cfg.groupStream(), m.cfg.Member); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		errs = append(errs, fmt.Errorf("delete consumer: %w", err))
	}
	var err error
	for range 5 {
		if _, err = pcgroups.DeleteMembers(ctx, m.js, m.cfg.Stream, m.cfg.Stage, []string{m.cfg.Member}); err == nil {
			break
		}
	}
	if err != nil {
		errs = append(errs, fmt.Errorf("leave membership: %w", err))
	}
	if err := m.live.forget(ctx, m.cfg.Member); err != nil {
		errs = append(errs, fmt.Errorf("delete heartbeat: %w", err))
	}
	m.live.stop()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("group %s: member %s left uncleanly: %w", m.cfg.groupStream(), m.cfg.Member, err)
	}
	m.log.Info().Msg("left consumer group")
	return nil
}

// closeGate waits for Dispatch calls in progress, then refuses new ones.
func (m *groupMember) closeGate(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		m.gate.Lock()
		m.closed = true
		m.gate.Unlock()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
