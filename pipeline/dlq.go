package pipeline

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/streams"
)

// Default DLQ reasons when the error carries none.
const (
	ReasonPermanent Reason = "permanent"
	ReasonExhausted Reason = "exhausted"
)

// maxErrorHeader caps the error text on a dead letter; headers are not the
// place for a stack of wrapped bodies.
const maxErrorHeader = 1024

// deadLetter copies h to the DLQ with the V1sync-* headers, then terms it.
// If the DLQ cannot store it, h is handed back instead: a message is never
// dropped.
func (r *Runner) deadLetter(ctx context.Context, h *held, err error, attempts int) {
	reason := ReasonOf(err)
	if reason == "" {
		reason = ReasonExhausted
		if IsPermanent(err) {
			reason = ReasonPermanent
		}
	}
	kerr := r.keyErr(h, err)
	msg := &nats.Msg{Subject: streams.DLQSubject(r.Name(), h.in.Subject), Data: h.in.Data,
		Header: r.deadLetterHeader(h, err, reason, attempts)}
	injectTrace(ctx, msg.Header)
	if perr := r.publishDeadLetter(msg); perr != nil {
		r.event(ctx, r.log.Error(), h).Err(kerr).AnErr(FieldDLQError, perr).
			Msg("dead letter not stored; handing the message back")
		r.handBack(h, r.cfg.Backoff.Max)
		return
	}
	r.event(ctx, r.log.Error(), h).Err(kerr).Str(FieldReason, string(reason)).Int(FieldAttempt, attempts).
		Msg("dead-lettered")
	r.settle(h, outcomeDeadLettered, func() error {
		return h.msg.TermWithReason(fmt.Sprintf("%s: dead-lettered by %s", reason, r.Name()))
	})
}

func (r *Runner) publishDeadLetter(m *nats.Msg) error {
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.PublishTimeout)
	defer cancel()
	_, err := r.js.PublishMsg(ctx, m, jetstream.WithExpectStream(streams.DLQ))
	return err
}

// deadLetterHeader keeps every original header (publish directives renamed,
// see isPublishDirective) and adds where the message came from and why it died.
func (r *Runner) deadLetterHeader(h *held, err error, reason Reason, attempts int) nats.Header {
	hdr := make(nats.Header, len(h.in.Header)+10)
	for k, v := range h.in.Header {
		if isPublishDirective(k) {
			k = streams.HeaderDLQOrigPrefix + k
		}
		hdr[k] = append([]string(nil), v...)
	}
	hdr.Set(streams.HeaderDLQStage, r.Name())
	hdr.Set(streams.HeaderDLQError, oneLine(err.Error()))
	hdr.Set(streams.HeaderDLQReason, string(reason))
	hdr.Set(streams.HeaderDLQStream, h.in.Stream)
	hdr.Set(streams.HeaderDLQSeq, strconv.FormatUint(h.in.Seq, 10))
	hdr.Set(streams.HeaderDLQSubject, h.in.Subject)
	hdr.Set(streams.HeaderDLQDeliveries, strconv.Itoa(attempts))
	hdr.Set(streams.HeaderDLQFailedAt, time.Now().UTC().Format(time.RFC3339Nano))
	hdr.Set(streams.HeaderMsgID, fmt.Sprintf("dlq:%s:%d", h.in.Stream, h.in.Seq))
	return hdr
}

// oneLine makes err text safe and short for a header value.
func oneLine(s string) string {
	s = strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
	if len(s) > maxErrorHeader {
		s = s[:maxErrorHeader] + "…"
	}
	return s
}
