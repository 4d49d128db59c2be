package streams

import (
	"github.com/nats-io/nats.go/jetstream"
)

// Streams returns the configuration of every work stream and the DLQ.
func (c Config) Streams() []jetstream.StreamConfig {
	work := func(name, desc string, subjects ...string) jetstream.StreamConfig {
		return jetstream.StreamConfig{
			Name: name, Description: desc, Subjects: subjects,
			Retention: jetstream.LimitsPolicy, Storage: jetstream.FileStorage,
			Replicas: c.Replicas, MaxAge: c.WorkMaxAge, Duplicates: c.Duplicates,
			Discard: jetstream.DiscardOld,
		}
	}
	events := make([]string, 0, len(V2EventObjectTypes))
	for _, t := range V2EventObjectTypes {
		events = append(events, eventsRoot+"."+t+".*")
	}
	dlq := work(DLQ, "dead letters of every stage: dlq.<stage>.<original subject>", dlqRoot+".>")
	dlq.MaxAge = c.DLQMaxAge
	// A full DLQ must refuse new dead letters (the runner then naks and the
	// message stays in its stream) rather than silently drop old ones.
	dlq.Discard = jetstream.DiscardNew
	return []jetstream.StreamConfig{
		work(V1Changes, "v1 row changes: v1.changes.<schema>.<table>.<partition>", v1ChangesRoot+".>"),
		work(V2Intents, "full-state v2 write intents: v2.intents.<entity>.<partition>", v2IntentsRoot+".>"),
		work(V2Events, "indexer domain events captured from core NATS: lfx.<object_type>.<action>", events...),
		dlq,
	}
}

// Buckets returns the configuration of every KV bucket.
func (c Config) Buckets() []jetstream.KeyValueConfig {
	return []jetstream.KeyValueConfig{
		// History 5 lets an operator see a row's recent states; the map stage
		// reads the stream, which only needs the latest.
		{Bucket: BucketObjects, Description: "replica of v1 rows: <schema>-<table>.<id>", History: 5,
			Storage: jetstream.FileStorage, Replicas: c.Replicas},
		{Bucket: BucketMappings, Description: "v1 id <-> v2 uid map and tombstones", History: 5,
			Storage: jetstream.FileStorage, Replicas: c.Replicas},
		{Bucket: BucketState, Description: "v1sync checkpoints, bookmarks and version guards", History: 1,
			Storage: jetstream.FileStorage, Replicas: c.Replicas},
	}
}

// ConsumerSpec pairs a durable consumer with the stream it reads.
type ConsumerSpec struct {
	Stream string
	Config jetstream.ConsumerConfig
}

// Consumers returns one durable consumer per consuming stage. Pods bind to
// these with js.Consumer; only Provision creates or changes them, so pods of
// two versions never fight over a consumer's config.
func (c Config) Consumers() []ConsumerSpec {
	durable := func(stream, name, filter, desc string, policy jetstream.DeliverPolicy) ConsumerSpec {
		return ConsumerSpec{Stream: stream, Config: jetstream.ConsumerConfig{
			Durable: name, Description: desc, FilterSubject: filter,
			AckPolicy: jetstream.AckExplicitPolicy, DeliverPolicy: policy,
			AckWait: c.AckWait, MaxDeliver: c.MaxDeliver,
			// Bounded by per-key serialization in the runner, not by the
			// server: many keys may be in flight, one message per key.
			MaxAckPending: 1000,
		}}
	}
	return []ConsumerSpec{
		durable(V1Changes, StageNormalize, v1ChangesRoot+".>", "v1 changes into v1-objects", jetstream.DeliverAllPolicy),
		// LastPerSubject: a new map consumer starts from the current state of
		// every key, as the prior art's KV consumer did.
		durable(KVStream(BucketObjects), StageMap, KVSubject(BucketObjects, ">"), "v1-objects into v2 intents", jetstream.DeliverLastPerSubjectPolicy),
		durable(V2Intents, StageWrite, v2IntentsRoot+".>", "v2 intents into the v2 services", jetstream.DeliverAllPolicy),
		durable(V2Events, StageReverse, eventsRoot+".>", "v2 events back into v1", jetstream.DeliverAllPolicy),
	}
}
