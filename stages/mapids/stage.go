// Package mapids is the map stage: it turns v1 rows from the v1-objects KV
// stream into full-state v2 intents. It routes by key prefix, skips v1sync's
// own echoes, turns soft and hard deletes into delete intents, maps fields by
// the prior art's tables and resolves parents through the ID map, waiting
// (retry with backoff) for parents that are not mapped yet.
package mapids

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/idmap"
	"github.com/linuxfoundation/v1sync/stages/intent"
	"github.com/linuxfoundation/v1sync/stages/v1change"
	"github.com/linuxfoundation/v1sync/streams"
)

// DLQ reasons of this stage.
const (
	ReasonParentUnmapped pipeline.Reason = "parent-unmapped"
	ReasonParentDeleted  pipeline.Reason = "parent-deleted"
	ReasonRootUnresolved pipeline.Reason = "root-unresolved"
	ReasonMalformed      pipeline.Reason = "malformed"
	ReasonMissingField   pipeline.Reason = "missing-field"
)

// Deps are the stage's connections.
type Deps struct {
	// Objects is the v1-objects bucket (parent rows, staff users).
	Objects jetstream.KeyValue
	// IDs is the v1-mappings ID map.
	IDs *idmap.IDMap
	// NC asks the project service for the ROOT project's uid.
	NC *nats.Conn
	// Emails finds a v1 user's primary email; nil leaves staff emails unset.
	Emails EmailDirectory
	// Orgs names v1 accounts; nil sends a member's organization as its id only.
	Orgs OrgDirectory
	// Log is the stage's logger, with its stage field set.
	Log zerolog.Logger
}

// Stage is the map stage (pipeline.Stage).
type Stage struct {
	cfg   Config
	deps  Deps
	root  *rootResolver
	waits parentWaits
	stats Stats
}

// New checks cfg and returns the stage.
func New(cfg Config, deps Deps) (*Stage, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Objects == nil || deps.IDs == nil || deps.NC == nil {
		return nil, errors.New("mapids: the v1-objects bucket, the ID map and a NATS connection are required")
	}
	return &Stage{cfg: cfg, deps: deps, root: newRootResolver(deps.NC, cfg)}, nil
}

// Name is the stage and durable consumer name.
func (s *Stage) Name() string { return streams.StageMap }

// Stats returns the stage's outcome counters.
func (s *Stage) Stats() *Stats { return &s.stats }

// Handle maps one v1-objects change to at most one intent.
func (s *Stage) Handle(ctx context.Context, in *pipeline.Message) ([]*pipeline.Message, error) {
	key := streams.KVKey(streams.BucketObjects, in.Subject)
	if key == "" {
		return nil, s.fail(in.Subject, pipeline.Permanent(pipeline.WithReason(
			fmt.Errorf("subject %q is not in bucket %s", in.Subject, streams.BucketObjects), ReasonMalformed)))
	}
	prefix, id := v1change.SplitObjectKey(key)
	rt, entity := routeOf(prefix)
	switch {
	case rt == routePassThrough:
		s.stats.PassThrough.Add(1)
		return nil, nil
	case rt == routeUnknown:
		s.stats.UnknownPrefix.Add(1)
		s.log(s.deps.Log.Warn(), key).Msg("unknown object type: acked without output")
		return nil, nil
	case id == "":
		s.stats.Empty.Add(1)
		s.log(s.deps.Log.Warn(), key).Msg("key without an id: acked without output")
		return nil, nil
	}
	it, err := s.mapChange(ctx, in, key, id, entity)
	if err == nil || pipeline.IsPermanent(err) {
		s.waits.done(waitID(in))
	}
	if err != nil || it == nil {
		return nil, s.fail(key, err)
	}
	out, err := s.output(in, it)
	return out, s.fail(key, err)
}

// mapChange decides what the change means; a nil intent means "nothing to do".
func (s *Stage) mapChange(ctx context.Context, in *pipeline.Message, key, id string, entity intent.Entity) (*intent.Intent, error) {
	if op := in.Header.Get(streams.HeaderKVOperation); op == "DEL" || op == "PURGE" {
		return s.deleteIntent(entity, key, id, nil, in), nil
	}
	if len(in.Data) == 0 {
		s.stats.Empty.Add(1)
		s.log(s.deps.Log.Warn(), key).Msg("empty value: acked without output")
		return nil, nil
	}
	if idmap.IsTombstone(string(in.Data)) {
		// Old releases of the prior art wrote tombstones into v1-objects.
		return s.deleteIntent(entity, key, id, nil, in), nil
	}
	r, err := decodeRow(in.Data)
	if err != nil {
		return nil, pipeline.Permanent(pipeline.WithReason(fmt.Errorf("decode row: %w", err), ReasonMalformed))
	}
	if softDeleted(r) {
		return s.deleteIntent(entity, key, id, r, in), nil
	}
	if s.cfg.loopGuarded(r) {
		s.stats.LoopGuarded.Add(1)
		return nil, nil
	}
	return s.upsertIntent(ctx, entity, key, id, r, in)
}

func (s *Stage) upsertIntent(ctx context.Context, entity intent.Entity, key, id string, r row, in *pipeline.Message) (*intent.Intent, error) {
	it := &intent.Intent{Entity: entity, Op: intent.Upsert, Key: key, V1ID: id,
		SourceRevision: in.Seq, Principal: principalOf(r)}
	var err error
	switch entity {
	case intent.Project:
		err = s.mapProject(ctx, r, in, it)
	case intent.Committee:
		err = s.mapCommittee(ctx, r, in, it)
	case intent.CommitteeMember:
		var skip bool
		skip, err = s.mapMember(ctx, r, in, it)
		if err == nil && skip {
			return nil, nil
		}
	}
	if err != nil {
		return nil, err
	}
	return it, nil
}

// deleteIntent asks the write stage to delete the v2 object; r is the soft
// deleted row, nil for a KV delete (then the service principal acts).
func (s *Stage) deleteIntent(entity intent.Entity, key, id string, r row, in *pipeline.Message) *intent.Intent {
	it := &intent.Intent{Entity: entity, Op: intent.Delete, Key: key, V1ID: id, SourceRevision: in.Seq}
	if r == nil {
		return it
	}
	it.Principal = principalOf(r)
	switch entity {
	case intent.Committee:
		it.ProjectSFID = r.trimmed("project_name__c")
	case intent.CommitteeMember:
		it.ProjectSFID = r.trimmed("project_name__c")
		it.CommitteeSFID = r.trimmed("collaboration_name__c")
		it.ContactSFID, _ = contactSFID(r.str("contact_name__c"))
	}
	return it
}

// output wraps the intent for V2_INTENTS, keyed by the v1 key.
func (s *Stage) output(in *pipeline.Message, it *intent.Intent) ([]*pipeline.Message, error) {
	if err := it.Validate(); err != nil {
		return nil, pipeline.Permanent(err)
	}
	data, err := it.Marshal()
	if err != nil {
		return nil, pipeline.Permanent(fmt.Errorf("encode intent: %w", err))
	}
	msg := pipeline.NewMessage(streams.V2IntentSubject(string(it.Entity), it.Key, s.cfg.Partitions), data)
	msg.Header.Set(streams.HeaderKey, it.Key)
	msg.Header.Set(streams.HeaderSourceRev, strconv.FormatUint(in.Seq, 10))
	s.stats.Intents.Add(1)
	if it.Op == intent.Delete {
		s.stats.Deletes.Add(1)
	}
	return []*pipeline.Message{msg}, nil
}

// log starts an event about key. Deps.Log carries the stage field already.
func (s *Stage) log(e *zerolog.Event, key string) *zerolog.Event {
	return e.Str(pipeline.FieldKey, key)
}

// fail names the stage and key in err, keeping its class and reason.
func (s *Stage) fail(key string, err error) error {
	if err == nil {
		return nil
	}
	return &pipeline.KeyError{Stage: s.Name(), Key: key, Err: err}
}
