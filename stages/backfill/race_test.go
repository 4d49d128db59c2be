package backfill_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/stages/backfill"
	"github.com/linuxfoundation/v1sync/stages/v1change"
	"github.com/linuxfoundation/v1sync/streams"
)

// liveChanger changes rows in PostgreSQL and publishes each change to
// V1_CHANGES as capture would, in commit order per row.
type liveChanger struct {
	w       *world
	t       v1change.Table
	deleted map[string]bool
	seq     int
}

func (l *liveChanger) publish(ctx context.Context, action v1change.Action, key string, data map[string]any) error {
	l.seq++
	ev := v1change.Event{ID: fmt.Sprintf("live-%d", l.seq), Schema: l.t.Schema, Table: l.t.Name,
		Action: action, CommitTime: time.Now().UTC(), Key: key}
	if action == v1change.Delete {
		ev.DataOld = data
	} else {
		ev.Data = data
	}
	body, err := ev.Encode()
	if err != nil {
		return err
	}
	m := &nats.Msg{Subject: streams.V1ChangeSubject(l.t.Schema, l.t.Name, key, streams.DefaultConfig().Partitions), Data: body, Header: nats.Header{}}
	m.Header.Set(streams.HeaderKey, key)
	_, err = l.w.nats.JS.PublishMsg(ctx, m, jetstream.WithMsgID(ev.ID))
	return err
}

// update renames a row with a fresh systemmodstamp.
func (l *liveChanger) update(ctx context.Context, id int) error {
	var text string
	err := l.w.pg.Pool.QueryRow(ctx, `UPDATE platform.community__c x SET role__c = 'live '||$2, systemmodstamp = clock_timestamp()
		WHERE id = $1 AND sfid IS NOT NULL RETURNING row_to_json(x)::text`, id, fmt.Sprint(l.seq)).Scan(&text)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // deleted earlier
	}
	if err != nil {
		return err
	}
	var row map[string]any
	_ = json.Unmarshal([]byte(text), &row)
	return l.publish(ctx, v1change.Update, "", row)
}

// remove deletes a row; the event carries only the primary key and the
// resolved key, as capture sends it under the default replica identity.
func (l *liveChanger) remove(ctx context.Context, id int) error {
	var sfid string
	err := l.w.pg.Pool.QueryRow(ctx, `DELETE FROM platform.community__c WHERE id = $1 AND sfid IS NOT NULL RETURNING sfid`, id).Scan(&sfid)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	key := v1change.ObjectKey(l.t.Schema, l.t.Name, sfid)
	l.deleted[key] = true
	return l.publish(ctx, v1change.Delete, key, map[string]any{"id": id})
}

// A backfill that runs while the same rows change live ends with
// v1-objects equal to the database: no stale read overwrites a live
// update, and no read resurrects a live delete.
func TestBackfillRacingLiveChangesEndsEqualToDatabase(t *testing.T) {
	w := newWorld(t)
	w.startNormalize()
	tbl, _ := v1change.Find(v1change.DefaultTables(), "platform", "community__c")
	// Enough rows that the backfill is still reading while changes land.
	w.pg.Exec(t, `INSERT INTO platform.community__c (sfid, name, role__c, systemmodstamp, lastmodifieddate)
		SELECT 'a0Erace'||lpad(i::text, 11, '0'), 'CM-R'||i, 'seed', '2025-02-01', '2025-02-01' FROM generate_series(1, 1500) i`)
	var maxID int
	w.pg.QueryValue(t, &maxID, `SELECT max(id) FROM platform.community__c`)

	cfg := backfill.DefaultConfig()
	cfg.Full = true
	cfg.Tables = []v1change.Table{tbl}
	cfg.ChunkSize = 25
	live := &liveChanger{w: w, t: tbl, deleted: map[string]bool{}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	liveDone := make(chan error, 1)
	backfillDone := make(chan struct{})
	go func() {
		rng := rand.New(rand.NewPCG(1, 2))
		n := 0
		for {
			select {
			case <-backfillDone:
				liveDone <- nil
				return
			default:
			}
			id := 1 + rng.IntN(maxID)
			var err error
			if rng.IntN(4) == 0 {
				err = live.remove(ctx, id)
			} else {
				err = live.update(ctx, id)
			}
			if err != nil {
				liveDone <- err
				return
			}
			n++
		}
	}()
	res := w.backfill(cfg)
	close(backfillDone)
	if err := <-liveDone; err != nil {
		t.Fatal(err)
	}
	t.Logf("backfill read %d rows while %d live changes (%d deletes) landed", res.Tables[0].Read, live.seq, len(live.deleted))
	if live.seq < 50 || len(live.deleted) == live.seq {
		t.Fatalf("only %d live changes overlapped the backfill", live.seq)
	}
	w.waitNormalized()
	w.assertObjectsEqualDatabase(tbl, live.deleted)
}
