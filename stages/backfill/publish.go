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
	ev := v1change.Event{ID: id, Schema: t.Schema, Table: t.Name, Action: v1change.Read,
		Data: rw.data, CommitTime: readAt, Run: run}
	data, err := ev.Encode()
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

// publishChunk publishes asynchronously and waits for every PubAck; a chunk
// with a failed publish is sent again whole (de-duplication absorbs the
// rows already stored).
func publishChunk(ctx context.Context, js jetstream.JetStream, msgs []outgoing, attempts int) error {
	var err error
	for range attempts {
		if err = publishOnce(ctx, js, msgs); err == nil || ctx.Err() != nil {
			return err
		}
	}
	return fmt.Errorf("backfill: publish chunk after %d attempts: %w", attempts, err)
}

func publishOnce(ctx context.Context, js jetstream.JetStream, msgs []outgoing) error {
	futures := make([]jetstream.PubAckFuture, 0, len(msgs))
	for _, o := range msgs {
		m := &nats.Msg{Subject: o.subject, Data: o.data, Header: nats.Header{}}
		m.Header.Set(streams.HeaderKey, o.key)
		f, err := js.PublishMsgAsync(m, jetstream.WithMsgID(o.msgID))
		if err != nil {
			return err
		}
		futures = append(futures, f)
	}
	for _, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
