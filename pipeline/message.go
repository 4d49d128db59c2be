package pipeline

import (
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// inputOf converts a delivered message. Its header is a copy, so a stage
// may reuse it on outputs without touching the delivered message.
func inputOf(m jetstream.Msg) (*Message, error) {
	md, err := m.Metadata()
	if err != nil {
		return nil, fmt.Errorf("pipeline: message on %s has no JetStream metadata: %w", m.Subject(), err)
	}
	return &Message{
		Subject: m.Subject(), Header: cloneHeader(m.Headers()), Data: m.Data(),
		Stream: md.Stream, Seq: md.Sequence.Stream, Deliveries: md.NumDelivered, Stored: md.Timestamp,
	}, nil
}

func cloneHeader(h nats.Header) nats.Header {
	out := make(nats.Header, len(h)+2)
	for k, v := range h {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// heldID names a delivered message: a redelivery of a message still held
// has the same id and is ignored.
func heldID(in *Message) string { return fmt.Sprintf("%s:%d", in.Stream, in.Seq) }

// outputID is the deterministic Nats-Msg-Id of the i-th output of in, so a
// redelivered input republishes duplicates the stream drops.
func outputID(in *Message, i int) string { return fmt.Sprintf("%s:%d:%d", in.Stream, in.Seq, i) }
