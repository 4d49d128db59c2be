package streams

// Stream names users see (ARCHITECTURE §5).
const (
	// V1Changes holds row-level change events from every v1 source
	// (native WAL capture, the wal-listener bridge, backfill).
	V1Changes = "V1_CHANGES"
	// V2Intents holds full-state write intents for the v2 services.
	V2Intents = "V2_INTENTS"
	// V2Events captures the indexer's core-NATS domain events so that the
	// reverse stage can replay them; the indexer itself never uses JetStream.
	V2Events = "V2_EVENTS"
	// DLQ holds every dead-lettered message of every stage.
	DLQ = "DLQ"
)

// KV bucket names. Other LFX One services read v1-objects and v1-mappings
// directly, so their names and key formats are part of our public contract.
const (
	BucketObjects  = "v1-objects"
	BucketMappings = "v1-mappings"
	BucketState    = "v1sync-state"
)

// KVStream returns the name of the stream that backs a KV bucket.
func KVStream(bucket string) string { return "KV_" + bucket }

// Stage (and durable consumer) names.
const (
	StageIngest    = "ingest"
	StageNormalize = "normalize"
	StageMap       = "map"
	StageWrite     = "write"
	StageReverse   = "reverse"
	// StageLookup answers ID-map lookups over request/reply; it has no
	// durable consumer.
	StageLookup = "lookup"
)

// Header names. V1sync-* headers are ours; Nats-Msg-Id and the KV operation
// header belong to NATS.
const (
	HeaderMsgID = "Nats-Msg-Id"
	// HeaderKVOperation is set by the server on KV delete and purge markers.
	HeaderKVOperation = "KV-Operation"

	// HeaderKey carries the ordering key of a message (the v1 object key):
	// messages with the same key are handled one at a time, in stream order.
	HeaderKey = "V1sync-Key"
	// HeaderLSN carries the PostgreSQL LSN of a captured change.
	HeaderLSN = "V1sync-Lsn"
	// HeaderSourceRev carries the v1-objects revision an intent was built from.
	HeaderSourceRev = "V1sync-Source-Rev"

	// Dead-letter headers, added to the original headers of a dead message.
	HeaderDLQStage      = "V1sync-Stage"
	HeaderDLQError      = "V1sync-Error"
	HeaderDLQStream     = "V1sync-Stream"
	HeaderDLQSeq        = "V1sync-Seq"
	HeaderDLQSubject    = "V1sync-Subject"
	HeaderDLQDeliveries = "V1sync-Deliveries"
	HeaderDLQFailedAt   = "V1sync-Failed-At"
	// HeaderDLQReason is a short machine-readable class such as
	// "parent-unmapped" or "malformed", next to the free-text error.
	HeaderDLQReason = "V1sync-Reason"
	// HeaderDLQOrigPrefix renames the publish directives of a dead message
	// (Nats-Msg-Id, Nats-Expected-*, …) so they do not act on the DLQ.
	HeaderDLQOrigPrefix = "V1sync-Orig-"
	// HeaderRedrivenFrom marks a message republished from the DLQ:
	// "DLQ:<sequence>".
	HeaderRedrivenFrom = "V1sync-Redriven-From"
)

// V2 object types whose indexer events V2_EVENTS captures. Listing them keeps
// the stream off request/reply subjects under lfx.> (a stream that captured a
// request subject would answer it with a PubAck).
var V2EventObjectTypes = []string{
	"project", "project_settings",
	"committee", "committee_settings",
	"committee_member",
}

// Core-NATS request/reply subjects. The lookup subject and its queue group
// are the prior art's, so services that ask it today keep working and both
// implementations can answer side by side during a migration.
const (
	// SubjectLookupMapping answers an ID-map key with its stored value.
	SubjectLookupMapping = "lfx.lookup_v1_mapping"
	// QueueLookup is the queue group of v1sync's request/reply responders.
	QueueLookup = "lfx.v1-sync-helper.queue"
	// SubjectSlugToUID is the project service's slug -> uid lookup; the map
	// stage asks it for the uid of the ROOT project.
	SubjectSlugToUID = "lfx.projects-api.slug_to_uid"
)
