package pipeline

import (
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Headers the server adds on the way through a group's work queue.
const (
	headerStreamSource = "Nats-Stream-Source" // "<origin stream>[:<hash>] <origin seq> …"
	headerPinID        = "Nats-Pin-Id"
)

// groupMsg is a message read from a group's work queue, shown to the runner
// as the input message it was sourced from: Metadata reports the origin
// stream and sequence, so deterministic Nats-Msg-Ids and DLQ headers
// (V1sync-Stream, V1sync-Seq) are the same as in single-process mode, a
// redrive finds the original with `nats stream get`, and switching a stage
// between modes republishes nothing twice. Acks still go to the work queue
// through the reply subject, which this leaves alone.
type groupMsg struct {
	jetstream.Msg
	stream string
	seq    uint64
}

// newGroupMsg wraps m if it carries a source header.
func newGroupMsg(m jetstream.Msg) jetstream.Msg {
	stream, seq, ok := sourceOrigin(m.Headers())
	if !ok {
		return m
	}
	return &groupMsg{Msg: m, stream: stream, seq: seq}
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

// Headers hides the headers the group machinery added, so a dead letter
// carries the original headers only.
func (g *groupMsg) Headers() nats.Header {
	h := g.Msg.Headers()
	out := make(nats.Header, len(h))
	for k, v := range h {
		if k != headerStreamSource && k != headerPinID {
			out[k] = v
		}
	}
	return out
}

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
