package backfill

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/stages/v1change"
	"github.com/linuxfoundation/v1sync/streams"
)

// outgoing is one READ event ready to publish.
type outgoing struct {
	subject, msgID, key string
	data                []byte
}

// readEvent turns a row into its READ event. The message id
// <run>:<table>:<primary key> makes a resumed run's re-published chunk a
// duplicate inside the de-duplication window.
func readEvent(run string, t v1change.Table, rw row, readAt time.Time, partitions int) (outgoing, error) {
	id := run + ":" + t.QualifiedName() + ":" + rw.pk
	data, err := encodeRead(id, run, t, readAt, rw.cols, rw.vals)
	if err != nil {
		return outgoing{}, fmt.Errorf("backfill: encode %s: %w", id, err)
	}
	// The ordering key as normalize derives it (':' is not allowed in keys).
	key := v1change.ObjectKey(t.Schema, t.Name, keyToken(rw.id))
	return outgoing{subject: streams.V1ChangeSubject(t.Schema, t.Name, key, partitions), msgID: id, key: key, data: data}, nil
}

func keyToken(id string) string {
	b := []byte(id)
	for i, c := range b {
		if c == ':' {
			b[i] = '_'
		}
	}
	return string(b)
}

// inflight is a chunk whose publishes await their PubAcks.
type inflight struct {
	msgs    []outgoing
	futures []jetstream.PubAckFuture
	err     error
}

// send publishes a chunk asynchronously; settle waits for it. Sending the
// next chunk before settling this one overlaps reading with the PubAck
// round trips.
func send(js jetstream.JetStream, msgs []outgoing) *inflight {
	f := &inflight{msgs: msgs, futures: make([]jetstream.PubAckFuture, 0, len(msgs))}
	for _, o := range msgs {
		m := &nats.Msg{Subject: o.subject, Data: o.data, Header: nats.Header{}}
		m.Header.Set(streams.HeaderKey, o.key)
		fut, err := js.PublishMsgAsync(m, jetstream.WithMsgID(o.msgID))
		if err != nil {
			f.err = err
			return f
		}
		f.futures = append(f.futures, fut)
	}
	return f
}

// settle waits for every PubAck of the chunk; a chunk with a failed publish
// is sent again whole (de-duplication absorbs the rows already stored).
func (f *inflight) settle(ctx context.Context, js jetstream.JetStream, attempts int) error {
	err := f.wait(ctx)
	for try := 1; err != nil && try < attempts && ctx.Err() == nil; try++ {
		retry := send(js, f.msgs)
		err = retry.wait(ctx)
	}
	if err != nil {
		return fmt.Errorf("backfill: publish chunk after %d attempts: %w", attempts, err)
	}
	return nil
}

func (f *inflight) wait(ctx context.Context) error {
	if f.err != nil {
		return f.err
	}
	for _, fut := range f.futures {
		select {
		case <-fut.Ok():
		case err := <-fut.Err():
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
