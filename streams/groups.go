package streams

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/pcgroups"
)

// Consumer groups let several processes share one stage while each key is
// handled by one process at a time. A group is a pcgroups elastic consumer
// group: the server sources the stage's input stream into a work-queue stream
// named GroupStream(stream, stage), prefixing each subject with a partition
// number hashed from the key tokens; each member process consumes its share
// of the partitions through a consumer named after the member. pipeline
// (group.go) runs the members and evicts dead ones.

// BucketMembers holds one heartbeat key per running group member,
// "<group stream>.<member>", so that live members can evict dead ones.
const BucketMembers = "v1sync-members"

// BucketGroups is pcgroups' bucket of group definitions and memberships,
// one key per group: GroupKey(stream, stage).
const BucketGroups = "elastic-consumer-groups"

// GroupKey is a group's key in BucketGroups: "<stream>.<stage>".
func GroupKey(stream, stage string) string { return stream + "." + stage }

// GroupStream is the work-queue stream a stage's group reads:
// "<stream>-<stage>", e.g. "V2_INTENTS-write". It is pcgroups' naming.
func GroupStream(stream, stage string) string { return stream + "-" + stage }

// GroupFilter selects input subjects and names the wildcard positions (1 =
// first "*") whose tokens are hashed into the group partition. The tokens
// must identify the key, so that a key always lands in one partition.
type GroupFilter struct {
	Filter    string
	Wildcards []int
}

// GroupSpec declares the consumer group of one stage.
type GroupSpec struct {
	// Stage names the group; members run this stage.
	Stage string
	// Stream is the input stream the group sources.
	Stream string
	// Filters pick and partition the input subjects. A subject no filter
	// matches is not sourced, so filters must cover every input subject.
	Filters []GroupFilter
	// Partitions caps the number of members and is fixed for the life of
	// the group (pcgroups calls it max members).
	Partitions int
	// BufferedMsgs and BufferedBytes bound the work queue; when it is full
	// the server pauses sourcing, which is the backpressure we want.
	BufferedMsgs  int64
	BufferedBytes int64
}

// Groups returns the consumer group of every stage whose input carries its
// key in the subject. The reverse stage reads lfx.<type>.<action>, whose key
// is in the body, so it has no group and runs as a single process.
func (c Config) Groups() []GroupSpec {
	group := func(stage, stream string, filters ...GroupFilter) GroupSpec {
		return GroupSpec{Stage: stage, Stream: stream, Filters: filters, Partitions: c.Partitions,
			BufferedMsgs: 100_000, BufferedBytes: 512 << 20}
	}
	kv := "$KV." + BucketObjects + ".*.*"
	return []GroupSpec{
		// v1.changes.<schema>.<table>.<partition>: the partition token is
		// already a hash of the key; schema and table spread it further.
		group(StageNormalize, V1Changes, GroupFilter{v1ChangesRoot + ".*.*.*", []int{1, 2, 3}}),
		// $KV.v1-objects.<schema>-<table>.<id>; the second filter picks up
		// ids that contain dots (hashing their first token keeps a key whole).
		group(StageMap, KVStream(BucketObjects),
			GroupFilter{kv, []int{1, 2}}, GroupFilter{kv + ".>", []int{1, 2}}),
		// v2.intents.<entity>.<partition>.
		group(StageWrite, V2Intents, GroupFilter{v2IntentsRoot + ".*.*", []int{1, 2}}),
	}
}

// Group returns the consumer group of stage, if it has one.
func (c Config) Group(stage string) (GroupSpec, bool) {
	for _, g := range c.Groups() {
		if g.Stage == stage {
			return g, true
		}
	}
	return GroupSpec{}, false
}

// ProvisionGroups creates the consumer groups of the given stages and the
// members bucket. It is separate from Provision because a group's work queue
// doubles the storage of its input: create groups only for stages that run
// as several processes. A group created over a stream that already holds
// messages sources all of them once (stages are idempotent, so this is a
// replay). A group's partitions and filters cannot change in place; delete
// the group (nats stream rm <group stream>, nats kv del
// elastic-consumer-groups <stream>.<stage>) once its work queue is empty,
// then provision again.
func ProvisionGroups(ctx context.Context, js jetstream.JetStream, c Config, stages ...string) ([]Change, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	a, err := provisionBucket(ctx, js, membersBucket(c))
	if err != nil {
		return nil, err
	}
	changes := []Change{{"bucket", BucketMembers, a}}
	for _, stage := range stages {
		spec, ok := c.Group(stage)
		if !ok {
			return changes, fmt.Errorf("stage %q has no consumer group (stages with groups: %s, %s, %s)",
				stage, StageNormalize, StageMap, StageWrite)
		}
		a, err := provisionGroup(ctx, js, spec)
		if err != nil {
			return changes, err
		}
		changes = append(changes, Change{"group", GroupStream(spec.Stream, spec.Stage), a})
	}
	return changes, nil
}

// membersBucket keeps heartbeats briefly: live members rewrite theirs every
// second or so, and a stale key only matters until an eviction deletes it.
func membersBucket(c Config) jetstream.KeyValueConfig {
	return jetstream.KeyValueConfig{Bucket: BucketMembers, History: 1,
		Description: "heartbeats of consumer group members: <group stream>.<member>",
		Storage:     jetstream.FileStorage, Replicas: c.Replicas}
}

func provisionGroup(ctx context.Context, js jetstream.JetStream, g GroupSpec) (Action, error) {
	name := GroupStream(g.Stream, g.Stage)
	_, err := js.Stream(ctx, name)
	existed := err == nil
	if err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
		return "", fmt.Errorf("group %s: %w", name, err)
	}
	filters := make([]pcgroups.PartitioningFilter, 0, len(g.Filters))
	for _, f := range g.Filters {
		filters = append(filters, pcgroups.PartitioningFilter{Filter: f.Filter, PartitioningWildcards: f.Wildcards})
	}
	if _, err := pcgroups.CreateElastic(ctx, js, g.Stream, g.Stage, uint(g.Partitions), filters,
		g.BufferedMsgs, g.BufferedBytes); err != nil {
		return "", fmt.Errorf("group %s: %w", name, err)
	}
	if existed {
		return Unchanged, nil
	}
	return Created, nil
}
