package idmap

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/linuxfoundation/v1sync/streams"
)

// lookupTimeout bounds one KV read; a caller's request usually times out
// after a few seconds, so a slower answer would be wasted.
const lookupTimeout = 5 * time.Second

// Answer is the prior art's reply to a lookup of key: the stored value
// verbatim; "" when the key is missing, tombstoned or a pending claim; and
// "error: <msg>" when the bucket could not be read.
func (m *IDMap) Answer(ctx context.Context, key string) string {
	e, found, err := m.Get(ctx, key)
	switch {
	case err != nil:
		return "error: " + err.Error()
	case !found || !e.Live():
		return ""
	default:
		return e.Value
	}
}

// Listen subscribes the lookup responder: ID-map lookups on
// streams.SubjectLookupMapping in the streams.QueueLookup queue group, the
// request payload being the raw mapping key. It returns once the server
// knows the subscription; Drain it to stop.
func Listen(nc *nats.Conn, m *IDMap) (*nats.Subscription, error) {
	sub, err := nc.QueueSubscribe(streams.SubjectLookupMapping, streams.QueueLookup, func(msg *nats.Msg) {
		qctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
		defer cancel()
		// A failed reply means the requester went away; nothing to do.
		_ = msg.Respond([]byte(m.Answer(qctx, string(msg.Data))))
	})
	if err != nil {
		return nil, fmt.Errorf("idmap: subscribe %s: %w", streams.SubjectLookupMapping, err)
	}
	if err := nc.Flush(); err != nil {
		_ = sub.Unsubscribe()
		return nil, fmt.Errorf("idmap: subscribe %s: %w", streams.SubjectLookupMapping, err)
	}
	return sub, nil
}

// Serve answers lookups (see Listen) until ctx ends, then drains the
// requests already received.
func Serve(ctx context.Context, nc *nats.Conn, m *IDMap) error {
	sub, err := Listen(nc, m)
	if err != nil {
		return err
	}
	<-ctx.Done()
	if err := sub.Drain(); err != nil {
		return fmt.Errorf("idmap: drain %s: %w", streams.SubjectLookupMapping, err)
	}
	return nil
}
