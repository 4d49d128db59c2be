// Package pipeline is v1sync's stage runtime. A Stage holds business logic
// only: it receives one message and returns the messages it wants published,
// or a classified error. The Runner alone pulls, publishes, acks, retries,
// dead-letters, traces and counts.
package pipeline

import (
	"context"
	"time"

	"github.com/nats-io/nats.go"
)

// Message is one input or output of a stage.
type Message struct {
	// Subject is where the message was stored (input) or goes (output).
	Subject string
	Header  nats.Header
	Data    []byte

	// The fields below describe an input as it was delivered; they are
	// ignored on outputs.

	// Stream and Seq locate the input in JetStream.
	Stream string
	Seq    uint64
	// Deliveries counts this delivery, starting at 1.
	Deliveries uint64
	// Stored is when the server stored the input.
	Stored time.Time
}

// Stage is the business logic of one pipeline step.
//
// Handle is called with one message at a time per ordering key (see Key);
// calls for different keys run concurrently. It returns the messages to
// publish downstream. The runner publishes every output and waits for its
// PubAck before it acks the input, so a stage never publishes or acks itself.
//
// A nil error means done. An error built with Permanent dead-letters the
// input at once. Any other error is transient: the input is retried after a
// backoff (or after the delay given to Retry) and, once its deliveries are
// exhausted, dead-lettered. Handle must be idempotent: a crash between
// publishing and acking redelivers the same input.
type Stage interface {
	// Name is the stage name used for the durable consumer, the DLQ subject,
	// metrics and logs.
	Name() string
	Handle(ctx context.Context, in *Message) ([]*Message, error)
}

// Keyer is implemented by stages whose ordering key is not the default. The
// default key is the V1sync-Key header, then the key of a KV subject, then
// the subject itself.
type Keyer interface {
	Key(in *Message) string
}

// NewMessage returns an output message with an empty header.
func NewMessage(subject string, data []byte) *Message {
	return &Message{Subject: subject, Header: nats.Header{}, Data: data}
}
