package pipeline

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// headerStreamSource is added by the server to sourced messages:
// "<origin stream>[:<hash>] <origin seq> …".
const headerStreamSource = "Nats-Stream-Source"

// groupMsg is a message read from a group's work queue, shown to the runner
// as the input message it was sourced from:
//   - Subject drops the partition token the group prefixed;
//   - Metadata reports the origin stream and sequence, so deterministic
//     Nats-Msg-Ids and DLQ headers (V1sync-Stream, V1sync-Seq) are the same
//     as in single-process mode, a redrive finds the original with
//     `nats stream get`, and switching a stage between modes republishes
//     nothing twice;
//   - Headers hide the source header;
//   - settling it (ack, nak, term) takes it out of the member's in-flight
//     set, which a handover waits on; acks are confirmed by the server.
//
// Acks still go to the work queue through the reply subject.
type groupMsg struct {
	jetstream.Msg
	stream   string // origin
	seq      uint64 // origin
	wqSeq    uint64
	inflight *inflight
	settled  atomic.Bool
	// ackTimeout bounds waiting for an ack's confirmation.
	ackTimeout time.Duration
	// lease and epoch tell whether this member may still handle it.
	lease *memberLease
	epoch uint64
}

// Fenced reports that the member's lease lapsed since the message was
// pulled: another member may own it now, so it must not be handled here.
func (g *groupMsg) Fenced() bool { return g.lease != nil && !g.lease.holds(g.epoch) }

// newGroupMsg wraps m and counts it in flight.
func newGroupMsg(m jetstream.Msg, f *inflight, ackTimeout time.Duration) (*groupMsg, error) {
	md, err := m.Metadata()
	if err != nil {
		return nil, err
	}
	g := &groupMsg{Msg: m, stream: md.Stream, seq: md.Sequence.Stream, wqSeq: md.Sequence.Stream,
		inflight: f, ackTimeout: ackTimeout}
	if stream, seq, ok := sourceOrigin(m.Headers()); ok {
		g.stream, g.seq = stream, seq
	}
	f.add(g.wqSeq)
	return g, nil
}

// Subject is the input subject, without the group's partition token.
func (g *groupMsg) Subject() string {
	_, subj, _ := strings.Cut(g.Msg.Subject(), ".")
	return subj
}

// Metadata is the work queue's delivery metadata with the origin's stream
// and stream sequence; delivery counts and the consumer stay the member's.
func (g *groupMsg) Metadata() (*jetstream.MsgMetadata, error) {
	md, err := g.Msg.Metadata()
	if err != nil {
		return nil, err
	}
	origin := *md
	origin.Stream = g.stream
	origin.Sequence.Stream = g.seq
	return &origin, nil
}

// Headers hides the header the group's sourcing added, so a dead letter
// carries the original headers only.
func (g *groupMsg) Headers() nats.Header {
	h := g.Msg.Headers()
	out := make(nats.Header, len(h))
	for k, v := range h {
		if k != headerStreamSource {
			out[k] = v
		}
	}
	return out
}

func (g *groupMsg) settle(err error) error {
	if g.settled.CompareAndSwap(false, true) {
		g.inflight.done(g.wqSeq)
	}
	return err
}

// Ack waits for the server to confirm: a fire-and-forget ack could still be
// queued when a handover deletes the consumer, and the next owner would
// handle the message again.
func (g *groupMsg) Ack() error {
	ctx, cancel := context.WithTimeout(context.Background(), g.ackTimeout)
	defer cancel()
	return g.settle(g.Msg.DoubleAck(ctx))
}

func (g *groupMsg) DoubleAck(ctx context.Context) error { return g.settle(g.Msg.DoubleAck(ctx)) }
func (g *groupMsg) Nak() error                          { return g.settle(g.Msg.Nak()) }
func (g *groupMsg) NakWithDelay(d time.Duration) error  { return g.settle(g.Msg.NakWithDelay(d)) }
func (g *groupMsg) Term() error                         { return g.settle(g.Msg.Term()) }
func (g *groupMsg) TermWithReason(reason string) error  { return g.settle(g.Msg.TermWithReason(reason)) }

// sourceOrigin parses the stream and sequence a sourced message came from.
func sourceOrigin(h nats.Header) (string, uint64, bool) {
	fields := strings.Fields(h.Get(headerStreamSource))
	if len(fields) < 2 {
		return "", 0, false
	}
	stream, _, _ := strings.Cut(fields[0], ":")
	seq, err := strconv.ParseUint(fields[1], 10, 64)
	if err != nil || stream == "" {
		return "", 0, false
	}
	return stream, seq, true
}
