package pipeline

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"
)

// errFenced is returned by memberConsumer.reconcile while another member
// still holds one of our new partitions (it is settling its in-flight work).
var errFenced = errors.New("partitions still held by another member")

// jsWQConsumerNotUnique is the server's error code for a consumer whose
// filters overlap another consumer's on a work-queue stream: the fence.
const jsWQConsumerNotUnique = 10100

// memberConsumer owns this member's consumer on the group's work queue. It
// changes partitions in the order that keeps a key on one process at a
// time: stop pulling, wait until every dispatched message is settled, delete
// the consumer (lifting the fence on our old partitions), create one for the
// new partitions (refused by the server while another member still holds
// any of them).
type memberConsumer struct {
	cfg      GroupConfig
	js       jetstream.JetStream
	dispatch func(m jetstream.Msg, epoch uint64)
	lease    func() *memberLease
	inflight *inflight
	log      zerolog.Logger

	filters []string // partitions we consume; nil when none
	cc      jetstream.ConsumeContext
	epoch   uint64 // of our lease when cc started
	// lost is set when the server deleted our consumer under us (we were
	// evicted while stalled, or it went inactive).
	lost atomic.Bool
}

// consuming reports whether we consume exactly the partitions want, in the
// current epoch of our lease (after a lapse we may have been evicted, and
// what the old pull buffered may be another member's now).
func (c *memberConsumer) consuming(want []string) bool {
	return c.cc != nil && !c.lost.Load() && c.epoch == c.lease().current() && sameSet(c.filters, want)
}

// check marks the consumer lost if the server no longer has it: pull errors
// do not always say so (a pull on a deleted consumer may only find no
// responders), so a member verifies on every tick.
func (c *memberConsumer) check(ctx context.Context) {
	if c.cc == nil {
		return
	}
	if _, err := c.js.Consumer(ctx, c.cfg.groupStream(), c.cfg.Member); errors.Is(err, jetstream.ErrConsumerNotFound) {
		c.lost.Store(true)
	}
}

// reconcile makes our consumer match want. It returns errFenced when it has
// to be called again later.
func (c *memberConsumer) reconcile(ctx context.Context, want []string) error {
	if c.consuming(want) || (len(want) == 0 && c.filters == nil) {
		return nil
	}
	c.release(ctx)
	if len(want) == 0 {
		return nil
	}
	cfg := c.cfg.consumerTemplate()
	cfg.Durable, cfg.FilterSubjects = c.cfg.Member, want
	cons, err := c.js.CreateConsumer(ctx, c.cfg.groupStream(), cfg)
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode == jsWQConsumerNotUnique {
		return errFenced
	}
	if err != nil {
		return err
	}
	epoch := c.lease().current()
	cc, err := cons.Consume(func(m jetstream.Msg) { c.dispatch(m, epoch) }, jetstream.PullMaxMessages(c.cfg.Prefetch),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			if errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) ||
				errors.Is(err, nats.ErrNoResponders) {
				c.lost.Store(true)
			}
			c.log.Warn().Err(err).Msg("group consume error")
		}))
	if err != nil {
		return err
	}
	c.filters, c.cc, c.epoch = want, cc, epoch
	c.lost.Store(false)
	c.log.Info().Strs(FieldPartition, want).Msg("consuming partitions")
	return nil
}

// release stops pulling, waits (up to HandoverTimeout) for the messages
// already dispatched to settle, and deletes our consumer.
func (c *memberConsumer) release(ctx context.Context) {
	if c.cc != nil {
		c.cc.Stop()
		select {
		case <-c.cc.Closed():
		case <-time.After(c.cfg.HandoverTimeout):
		}
		c.cc = nil
		wait, cancel := context.WithTimeout(ctx, c.cfg.HandoverTimeout)
		if n := c.inflight.wait(wait); n > 0 {
			// Their acks will fail and the next owner gets them again.
			c.log.Warn().Int(FieldCount, n).Msg("handing partitions over with messages still in flight")
		}
		cancel()
	}
	err := c.js.DeleteConsumer(ctx, c.cfg.groupStream(), c.cfg.Member)
	if err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		c.log.Warn().Err(err).Msg("delete own consumer")
	}
	c.filters = nil
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// inflight is the set of work-queue sequences dispatched and not yet
// settled (acked, naked or termed). A redelivery of a message still held
// has the same sequence, so it neither counts twice nor stays behind.
type inflight struct {
	mu    sync.Mutex
	seqs  map[uint64]struct{}
	empty chan struct{} // closed whenever seqs is empty
}

func newInflight() *inflight {
	f := &inflight{seqs: map[uint64]struct{}{}, empty: make(chan struct{})}
	close(f.empty)
	return f
}

func (f *inflight) add(seq uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.seqs) == 0 {
		f.empty = make(chan struct{})
	}
	f.seqs[seq] = struct{}{}
}

func (f *inflight) done(seq uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.seqs[seq]; !ok {
		return
	}
	delete(f.seqs, seq)
	if len(f.seqs) == 0 {
		close(f.empty)
	}
}

// wait blocks until nothing is in flight or ctx ends, and returns how many
// messages are still in flight.
func (f *inflight) wait(ctx context.Context) int {
	f.mu.Lock()
	empty := f.empty
	f.mu.Unlock()
	select {
	case <-empty:
	case <-ctx.Done():
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.seqs)
}
