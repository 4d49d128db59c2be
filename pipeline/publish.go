package pipeline

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/linuxfoundation/v1sync/streams"
)

// outputs turns a stage's outputs into publishable messages: each gets the
// deterministic id <stream>:<seq>:<i> unless the stage chose one, and the
// current trace context.
func (r *Runner) outputs(ctx context.Context, h *held, outs []*Message) []*nats.Msg {
	msgs := make([]*nats.Msg, 0, len(outs))
	for i, out := range outs {
		if out == nil {
			continue
		}
		hdr := cloneHeader(out.Header)
		if hdr.Get(streams.HeaderMsgID) == "" {
			hdr.Set(streams.HeaderMsgID, outputID(h.in, i))
		}
		injectTrace(ctx, hdr)
		msgs = append(msgs, &nats.Msg{Subject: out.Subject, Header: hdr, Data: out.Data})
	}
	return msgs
}

// publish stores one message and waits for its PubAck. It takes no worker
// slot: waiting for a PubAck costs no CPU, and MaxHeld already bounds how
// many messages can wait at once.
func (r *Runner) publish(m *nats.Msg) error {
	f, err := r.js.PublishMsgAsync(m)
	if err != nil {
		return err
	}
	t := time.NewTimer(r.cfg.PublishTimeout)
	defer t.Stop()
	select {
	case <-f.Ok():
		return nil
	case err := <-f.Err():
		return err
	case <-t.C:
		return fmt.Errorf("no PubAck within %s", r.cfg.PublishTimeout)
	}
}

// publishDirectives are NATS headers that instruct the server on publish.
// Copied verbatim onto a dead letter they would act on the DLQ stream (a
// KV purge marker's rollup, a TTL), so they are kept under a V1sync-Orig-
// prefix instead.
func isPublishDirective(name string) bool {
	switch {
	case name == "Nats-Rollup", name == "Nats-TTL", name == "Nats-Msg-Id",
		strings.HasPrefix(name, "Nats-Expected-"), strings.HasPrefix(name, "Nats-Schedule"):
		return true
	}
	return false
}
