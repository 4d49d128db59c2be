package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/stages/idmap"
	v2sim "github.com/linuxfoundation/v1sync/test/sim/v2"
)

// liveChange is one committed v1 transaction and how to tell it reached v2.
type liveChange struct {
	kind string // insert, update, delete
	sql  string
	args []any
	// landed reports whether v2 (and the ID map) reflect the change.
	landed func(ctx context.Context) (bool, error)

	committed time.Time
	seen      time.Time
}

// Who the demo's live edits are made by: a Salesforce staff user, so they
// are not v1sync's own writes and pass the loop guard.
const demoEditor = "0058c0000mNvvTlAAJ"

// demoParentProject is open-orbit, a top-level sample project that syncs.
const demoParentProject = "a092W0000h8PYh6QAG"

// liveScript builds the live changes in two waves: first new projects with
// a committee and two members each, updates of synced rows of every entity
// and soft deletes of members; then hard deletes of members the first wave
// created. picks are sample rows already in v2.
func (s *demoStack) liveScript(picks demoPicks) (first, second []*liveChange) {
	var out []*liveChange
	for i := range 3 {
		p, c := fmt.Sprintf("a09DEMO00000%03dAAA", i), fmt.Sprintf("a0DDEMO00000%03dAAA", i)
		m1, m2 := fmt.Sprintf("a0EDEMO00001%03dAAA", i), fmt.Sprintf("a0EDEMO00002%03dAAA", i)
		out = append(out,
			s.insert(idmap.ProjectSFIDKey(p), `INSERT INTO salesforce.project__c (sfid, name, slug__c, description__c,
				parent_project__c, project_status__c, model__c, createddate, createdbyid, lastmodifieddate, lastmodifiedbyid, systemmodstamp)
				VALUES ($1, $2, $3, 'Created live by the demo.', $4, 'Active', 'Membership', now(), $5, now(), $5, now())`,
				p, fmt.Sprintf("Demo Live Project %d", i), fmt.Sprintf("demo-live-%d", i), demoParentProject, demoEditor),
			s.insert(idmap.CommitteeSFIDKey(c), `INSERT INTO platform.collaboration__c (sfid, name, project_name__c, mailing_list__c,
				description__c, type__c, enable_voting__c, public_enabled, join_mode, createddate, createdbyid, lastmodifieddate, lastmodifiedbyid, systemmodstamp)
				VALUES ($1, 'COL-DEMO', $2, $3, 'Created live by the demo.', 'Technical Steering Committee', false, true, 'closed', now(), $4, now(), $4, now())`,
				c, p, fmt.Sprintf("Demo Live TSC %d", i), demoEditor),
			s.insertMember(m1, c, p, fmt.Sprintf("demo.first.%d@example.org", i)),
			s.insertMember(m2, c, p, fmt.Sprintf("demo.second.%d@example.org", i)),
		)
		second = append(second, s.hardDelete(m2))
	}
	for i, sfid := range picks.projects {
		name := fmt.Sprintf("Renamed Live %d", i)
		out = append(out, s.update(`UPDATE salesforce.project__c SET name = $1, lastmodifieddate = now(), systemmodstamp = now(),
			lastmodifiedbyid = $2 WHERE sfid = $3`, []any{name, demoEditor, sfid},
			s.v2Field(v2sim.BucketProjects, idmap.ProjectSFIDKey(sfid), "name", name)))
	}
	for i, sfid := range picks.committees {
		desc := fmt.Sprintf("Description changed live (%d).", i)
		out = append(out, s.update(`UPDATE platform.collaboration__c SET description__c = $1, lastmodifieddate = now(), systemmodstamp = now(),
			lastmodifiedbyid = $2 WHERE sfid = $3`, []any{desc, demoEditor, sfid},
			s.v2Field(v2sim.BucketCommittees, idmap.CommitteeSFIDKey(sfid), "description", desc)))
	}
	for i, sfid := range picks.members {
		title := fmt.Sprintf("Live Title %d", i)
		out = append(out, s.update(`UPDATE platform.community__c SET title = $1, lastmodifieddate = now(), systemmodstamp = now(),
			lastmodifiedbyid = $2 WHERE sfid = $3`, []any{title, demoEditor, sfid},
			s.v2Field(v2sim.BucketMembers, idmap.MemberSFIDKey(sfid), "job_title", title)))
	}
	for _, sfid := range picks.deletes {
		out = append(out, &liveChange{kind: "delete", sql: `UPDATE platform.community__c SET isdeleted = true,
			lastmodifieddate = now(), systemmodstamp = now(), lastmodifiedbyid = $1 WHERE sfid = $2`,
			args: []any{demoEditor, sfid}, landed: s.tombstoned(idmap.MemberSFIDKey(sfid))})
	}
	return out, second
}

func (s *demoStack) insert(key, sql string, args ...any) *liveChange {
	return &liveChange{kind: "insert", sql: sql, args: args, landed: s.mapped(key)}
}

func (s *demoStack) insertMember(sfid, committee, project, email string) *liveChange {
	return s.insert(idmap.MemberSFIDKey(sfid), `INSERT INTO platform.community__c (sfid, name, collaboration_name__c, project_name__c,
		contactemail__c, title, role__c, status__c, createddate, createdbyid, lastmodifieddate, lastmodifiedbyid, systemmodstamp)
		VALUES ($1, 'CM-DEMO', $2, $3, $4, 'Engineer', 'Chair', 'Active', now(), $5, now(), $5, now())`,
		sfid, committee, project, email, demoEditor)
}

func (s *demoStack) hardDelete(sfid string) *liveChange {
	return &liveChange{kind: "delete", sql: `DELETE FROM platform.community__c WHERE sfid = $1`,
		args: []any{sfid}, landed: s.tombstoned(idmap.MemberSFIDKey(sfid))}
}

func (s *demoStack) update(sql string, args []any, landed func(context.Context) (bool, error)) *liveChange {
	return &liveChange{kind: "update", sql: sql, args: args, landed: landed}
}

// mapped: the write stage stores the mapping only after v2 answered the create.
func (s *demoStack) mapped(key string) func(context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		v, err := s.ids.Live(ctx, key)
		return v != "", err
	}
}

// tombstoned: the tombstone is written after v2 answered the delete.
func (s *demoStack) tombstoned(key string) func(context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		e, found, err := s.ids.Get(ctx, key)
		return found && e.Tombstoned(), err
	}
}

// v2Field reads the simulator's stored record of a mapped object and
// compares one field.
func (s *demoStack) v2Field(bucket, mapKey, field, want string) func(context.Context) (bool, error) {
	var kv jetstream.KeyValue
	return func(ctx context.Context) (bool, error) {
		uid, err := s.ids.Live(ctx, mapKey)
		if err != nil || uid == "" {
			return false, err
		}
		// A member's mapping holds "<committee uid>:<member uid>".
		_, uid = idmap.SplitMemberSFIDValue(uid)
		if kv == nil {
			if kv, err = s.conn.JS.KeyValue(ctx, bucket); err != nil {
				return false, err
			}
		}
		e, err := kv.Get(ctx, uid)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		var rec map[string]any
		if err := json.Unmarshal(e.Value(), &rec); err != nil {
			return false, err
		}
		return rec[field] == want, nil
	}
}

// commit runs each change in its own transaction and notes when it committed.
func (s *demoStack) commit(ctx context.Context, changes []*liveChange) error {
	for _, c := range changes {
		if _, err := s.pool.Exec(ctx, c.sql, c.args...); err != nil {
			return fmt.Errorf("live %s: %w", c.kind, err)
		}
		c.committed = time.Now()
	}
	return nil
}

// awaitLanded polls every change until it is visible in v2 and records when
// it was first seen; the poll period bounds the measurement error.
func awaitLanded(ctx context.Context, changes []*liveChange, failed func() error) error {
	const every = 5 * time.Millisecond
	left := len(changes)
	for left > 0 {
		for _, c := range changes {
			if !c.seen.IsZero() || c.committed.IsZero() {
				continue
			}
			ok, err := c.landed(ctx)
			if err != nil && ctx.Err() == nil {
				return err
			}
			if ok {
				c.seen = time.Now()
				left--
			}
		}
		if err := failed(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of %d live changes not in v2 yet: %w", left, len(changes), ctx.Err())
		case <-time.After(every):
		}
	}
	return nil
}
