package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/streams"
)

// DeadLetter is one message of the DLQ stream, as a runner stored it.
type DeadLetter struct {
	// Seq is the dead letter's sequence in the DLQ stream.
	Seq    uint64
	Stage  string
	Reason string
	Error  string
	// Stream, OrigSeq and Subject say where the message was consumed from.
	Stream   string
	OrigSeq  uint64
	Subject  string
	Key      string
	FailedAt time.Time
	Data     []byte
	Header   nats.Header
}

// DeadLetterFilter selects dead letters; empty fields match everything.
type DeadLetterFilter struct {
	Stage  string
	Reason string
	// Seqs, when set, selects these DLQ sequences only.
	Seqs []uint64
}

func (f DeadLetterFilter) match(d *DeadLetter) bool {
	if f.Reason != "" && d.Reason != f.Reason {
		return false
	}
	if len(f.Seqs) == 0 {
		return true
	}
	for _, s := range f.Seqs {
		if s == d.Seq {
			return true
		}
	}
	return false
}

// ReadDeadLetters calls visit for every dead letter that f selects, oldest
// first, and stops at the end of the DLQ as it was when called, or at the
// first error visit returns.
func ReadDeadLetters(ctx context.Context, js jetstream.JetStream, f DeadLetterFilter, visit func(*DeadLetter) error) error {
	cons, err := js.OrderedConsumer(ctx, streams.DLQ, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{streams.DLQFilter(f.Stage)}, DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		return fmt.Errorf("read %s: %w", streams.DLQ, err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return fmt.Errorf("read %s: %w", streams.DLQ, err)
	}
	for left := info.NumPending; left > 0; {
		batch, err := cons.Fetch(int(min(left, 256)), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return fmt.Errorf("read %s: %w", streams.DLQ, err)
		}
		n := uint64(0)
		for m := range batch.Messages() {
			n++
			d, err := deadLetterOf(m)
			if err != nil {
				return err
			}
			if f.match(d) {
				if err := visit(d); err != nil {
					return err
				}
			}
		}
		if err := batch.Error(); err != nil {
			return fmt.Errorf("read %s: %w", streams.DLQ, err)
		}
		if n == 0 { // the rest may have been deleted meanwhile (another redrive, MaxAge)
			if info, err := cons.Info(ctx); err == nil && info.NumPending == 0 {
				return nil
			}
			return fmt.Errorf("read %s: no messages within 5s while %d were pending", streams.DLQ, left)
		}
		left -= min(n, left)
	}
	return nil
}

func deadLetterOf(m jetstream.Msg) (*DeadLetter, error) {
	md, err := m.Metadata()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", streams.DLQ, err)
	}
	h := m.Headers()
	d := &DeadLetter{Seq: md.Sequence.Stream, Stage: h.Get(streams.HeaderDLQStage), Reason: h.Get(streams.HeaderDLQReason),
		Error: h.Get(streams.HeaderDLQError), Stream: h.Get(streams.HeaderDLQStream), Subject: h.Get(streams.HeaderDLQSubject),
		Key: h.Get(streams.HeaderKey), Data: m.Data(), Header: h}
	d.OrigSeq, _ = strconv.ParseUint(h.Get(streams.HeaderDLQSeq), 10, 64)
	d.FailedAt, _ = time.Parse(time.RFC3339Nano, h.Get(streams.HeaderDLQFailedAt))
	if d.Stage == "" || d.Subject == "" {
		return nil, fmt.Errorf("%s message %d is not a dead letter (no %s or %s header)",
			streams.DLQ, d.Seq, streams.HeaderDLQStage, streams.HeaderDLQSubject)
	}
	return d, nil
}

// RedriveOutcome is what a redrive did with one dead letter.
type RedriveOutcome string

const (
	// Redriven: the message is back on its original subject.
	Redriven RedriveOutcome = "redriven"
	// Superseded: a KV key changed after the failure; that newer change
	// reached the stage on its own, so there is nothing to redo.
	Superseded RedriveOutcome = "superseded"
)

// Redrive puts d back in front of the stage that dead-lettered it.
//
// A message from a stream is republished to its subject with its original
// body and headers (publish directives and DLQ headers dropped) under a new
// Nats-Msg-Id, so the runner handles it as a new input; stages are
// version-aware, so a stale redrive changes nothing. A message from a KV
// bucket is not republished as it was, which could overwrite a newer value:
// the key's current entry is written again (CAS on its sequence), so the
// stage reprocesses the key's latest state.
func Redrive(ctx context.Context, js jetstream.JetStream, d *DeadLetter) (RedriveOutcome, error) {
	if bucket, _, ok := streams.KVBucketKey(d.Subject); ok {
		return redriveKV(ctx, js, bucket, d)
	}
	// No publish expectations: the server would store them on the message
	// and a stage copying its input headers would carry them on.
	m := &nats.Msg{Subject: d.Subject, Data: d.Data, Header: redriveHeader(d)}
	if _, err := js.PublishMsg(ctx, m); err != nil {
		return "", fmt.Errorf("redrive %s %d to %s: %w", streams.DLQ, d.Seq, d.Subject, err)
	}
	return Redriven, nil
}

// redriveHeader is the original header without what the DLQ added.
func redriveHeader(d *DeadLetter) nats.Header {
	h := nats.Header{}
	for k, v := range d.Header {
		switch k {
		case streams.HeaderDLQStage, streams.HeaderDLQError, streams.HeaderDLQReason, streams.HeaderDLQStream,
			streams.HeaderDLQSeq, streams.HeaderDLQSubject, streams.HeaderDLQDeliveries, streams.HeaderDLQFailedAt,
			streams.HeaderMsgID:
			continue
		}
		if isPublishDirective(k) || strings.HasPrefix(k, streams.HeaderDLQOrigPrefix) {
			continue
		}
		h[k] = append([]string(nil), v...)
	}
	from := "DLQ:" + strconv.FormatUint(d.Seq, 10)
	h.Set(streams.HeaderRedrivenFrom, from)
	// Deduplicates a redrive repeated within the stream's duplicate window.
	h.Set(streams.HeaderMsgID, "redrive:"+from)
	return h
}

// redriveKV rewrites the key's last entry (value or delete marker) with a
// CAS on its subject sequence.
func redriveKV(ctx context.Context, js jetstream.JetStream, bucket string, d *DeadLetter) (RedriveOutcome, error) {
	st, err := js.Stream(ctx, streams.KVStream(bucket))
	if err != nil {
		return "", fmt.Errorf("redrive %s %d: %w", streams.DLQ, d.Seq, err)
	}
	last, err := st.GetLastMsgForSubject(ctx, d.Subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return Superseded, nil // the key's history is gone: nothing to reprocess
	}
	if err != nil {
		return "", fmt.Errorf("redrive %s %d: last entry of %s: %w", streams.DLQ, d.Seq, d.Subject, err)
	}
	m := &nats.Msg{Subject: d.Subject, Data: last.Data, Header: nats.Header{}}
	if op := last.Header.Get(streams.HeaderKVOperation); op != "" {
		m.Header.Set(streams.HeaderKVOperation, "DEL") // a purge is redone as a delete: history stays
		m.Data = nil
	}
	m.Header.Set(streams.HeaderRedrivenFrom, "DLQ:"+strconv.FormatUint(d.Seq, 10))
	_, err = js.PublishMsg(ctx, m, jetstream.WithExpectStream(streams.KVStream(bucket)),
		jetstream.WithExpectLastSequencePerSubject(last.Sequence))
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence {
		return Superseded, nil // written since we read it: that write re-triggers the stage
	}
	if err != nil {
		return "", fmt.Errorf("redrive %s %d to %s: %w", streams.DLQ, d.Seq, d.Subject, err)
	}
	return Redriven, nil
}

// ForgetDeadLetter removes a redriven dead letter from the DLQ.
func ForgetDeadLetter(ctx context.Context, js jetstream.JetStream, seq uint64) error {
	st, err := js.Stream(ctx, streams.DLQ)
	if err != nil {
		return err
	}
	if err := st.DeleteMsg(ctx, seq); err != nil {
		return fmt.Errorf("delete %s %d: %w", streams.DLQ, seq, err)
	}
	return nil
}
