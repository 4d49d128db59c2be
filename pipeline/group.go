package pipeline

// Per-key serialization across processes.
//
// When several processes (pods) run one stage, each is a member of the
// stage's consumer group, declared in streams.Config.Groups and created by
// streams.ProvisionGroups as a pcgroups elastic consumer group
// (github.com/synadia-io/orbit.go/pcgroups): the server sources the stage's
// input into the work-queue stream "<stream>-<stage>", prefixing each
// subject with a partition number hashed from the key tokens, and the
// membership lives in the KV bucket elastic-consumer-groups. pcgroups splits
// the partitions over the sorted members in contiguous blocks
// (ElasticGetPartitionFilters). Each member consumes its partitions through
// one consumer named after the member. A work-queue stream refuses a consumer
// whose filters overlap another's (error 10100), so a partition is consumed
// by at most one member: that is the cross-process fence. Within a member
// the runner serializes by key.
//
// What we take from pcgroups and what we do ourselves. pcgroups gives the
// group definition, the partitioning, the membership record with
// compare-and-set updates and the assignment function; they cover every
// input, including the map stage's KV stream whose subjects carry no
// partition token (per-partition durables on the input stream could not).
// Its consumer loop (ElasticConsume) we do not use, for two reasons measured
// or read in v0.2.2: it never moves a dead member's partitions (§5.1 of the
// JetStream guide), and on every membership change it deletes the member's
// consumer under messages still being handled, so their acks fail and the
// next owner handles them again while the old owner is still at it: two
// processes on one key at once, up to the runner's MaxHeld messages per
// change. memberConsumer instead hands partitions over in order: stop
// pulling, wait until every dispatched message is settled (bounded by
// HandoverTimeout), delete the consumer, create the new one, retrying every
// 200 ms while the fence refuses it.
//
// Failures: every member writes a heartbeat to the v1sync-members bucket on
// its own goroutine and evicts the members whose heartbeat is older than
// DeadAfter, measured on server timestamps so host clocks do not matter. An
// eviction deletes the dead member's consumer, which lifts the fence and
// leaves its unacked messages at the head of the work queue, then removes it
// from the membership, upon which the survivors take its partitions and
// replay them in order. Evictions are idempotent and membership updates are
// compare-and-set, so any number of members may race to evict.
//
// The costs: the work queue doubles the input's storage while messages are
// buffered; users see the stream "<stream>-<stage>" and one consumer per
// member, named after the member, instead of the durable "<stage>"; a group
// created over a stream with history sources all of it once. Messages reach
// the runner with the origin's subject, stream and sequence (see groupMsg),
// so DLQ headers and deterministic Nats-Msg-Ids name the input stream exactly
// as in single-process mode.
//
// The guarantee holds for crashed members and for rebalances (joins,
// graceful leaves, evictions). A member that stalls (GC pause, frozen VM,
// SIGSTOP) for longer than DeadAfter is evicted; when it resumes, its lease
// (see memberLease) has lapsed, so the runner hands back unhandled every
// message it pulled before, and the member pulls again only after it has
// rejoined. What remains is a handler already running when the stall began:
// it finishes while the new owner handles the same message, at most once
// more each (TestGroupStalledMemberIsEvictedAndRejoins). Stages are
// idempotent and version-guarded, so that is a duplicate apply, never a
// stale state.

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/linuxfoundation/v1sync/streams"
)

// GroupConfig configures one member of a stage's consumer group.
type GroupConfig struct {
	// Stream is the stage's input stream and Stage the group's name; they
	// must match a group declared in streams.Config.Groups.
	Stream string
	Stage  string
	// Member identifies this process in the group and names its consumer.
	// It must be unique among live members; a process restarted under the
	// same name takes its share back at once. Default: host name and pid.
	Member string
	// AckWait is the consumer's redelivery timer and must equal the
	// runner's Config.AckWait (the runner keeps held messages alive with
	// InProgress at a fraction of it).
	AckWait time.Duration
	// MaxAckPending bounds the messages delivered and not yet acked; keep
	// it at the runner's MaxHeld plus Prefetch.
	MaxAckPending int
	// MaxDeliver bounds server-side deliveries (see streams.Config).
	MaxDeliver int
	// Prefetch bounds the client-side buffer of the member's consumer.
	Prefetch int
	// HandoverTimeout bounds how long a member waits for its dispatched
	// messages to settle before it gives partitions up to another member.
	HandoverTimeout time.Duration
	// Heartbeat is how often the member proves it is alive and checks the
	// others; DeadAfter is how old a heartbeat may get before its member is
	// evicted. DeadAfter bounds the failover time.
	Heartbeat time.Duration
	DeadAfter time.Duration
	// LeaveTimeout bounds a graceful leave: draining the runner and handing
	// the partitions over. Keep it above the runner's ShutdownTimeout.
	LeaveTimeout time.Duration
	// Log receives membership events; the zero logger discards them.
	Log zerolog.Logger
}

// DefaultGroupConfig returns the settings of a member with a default name;
// the caller sets Stream and Stage.
func DefaultGroupConfig() GroupConfig {
	return GroupConfig{
		Member:          DefaultMember(),
		AckWait:         streams.DefaultConfig().AckWait,
		MaxAckPending:   288,
		Prefetch:        32,
		HandoverTimeout: 15 * time.Second,
		MaxDeliver:      streams.DefaultConfig().MaxDeliver,
		Heartbeat:       time.Second,
		DeadAfter:       5 * time.Second,
		LeaveTimeout:    20 * time.Second,
	}
}

// DefaultMember is "<host>-<pid>" made safe as a consumer name. In a pod the
// host name is the pod name.
func DefaultMember() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "member"
	}
	return memberToken(host + "-" + strconv.Itoa(os.Getpid()))
}

// memberToken replaces what a consumer name or KV key cannot hold.
func memberToken(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '_'
	}, s)
}

// Validate reports the first settings that cannot work.
func (c GroupConfig) Validate() error {
	var errs []error
	if c.Stream == "" || c.Stage == "" {
		errs = append(errs, errors.New("group: stream and stage are required"))
	}
	if c.Member == "" || memberToken(c.Member) != c.Member {
		errs = append(errs, fmt.Errorf("group: member %q: want letters, digits, '-' and '_' only", c.Member))
	}
	if c.AckWait < time.Second {
		errs = append(errs, fmt.Errorf("group: ack wait %s: want at least 1s", c.AckWait))
	}
	if c.MaxAckPending < 1 || c.Prefetch < 1 {
		errs = append(errs, fmt.Errorf("group: max ack pending %d, prefetch %d: want at least 1", c.MaxAckPending, c.Prefetch))
	}
	if c.HandoverTimeout <= 0 {
		errs = append(errs, errors.New("group: handover timeout must be positive"))
	}
	if c.MaxDeliver < 2 {
		errs = append(errs, fmt.Errorf("group: max deliver %d: want at least 2", c.MaxDeliver))
	}
	if c.Heartbeat <= 0 || c.DeadAfter < 2*c.Heartbeat {
		errs = append(errs, fmt.Errorf("group: heartbeat %s, dead after %s: want dead after >= 2 heartbeats",
			c.Heartbeat, c.DeadAfter))
	}
	if c.LeaveTimeout <= 0 {
		errs = append(errs, errors.New("group: leave timeout must be positive"))
	}
	return errors.Join(errs...)
}

// groupStream is the work-queue stream the group's consumers read.
func (c GroupConfig) groupStream() string { return streams.GroupStream(c.Stream, c.Stage) }

// consumerTemplate is the member consumer's config; memberConsumer fills in
// the name and the partition filters. The server deletes the consumer of a
// member that stopped pulling for longer than any handover takes: a safety
// net for when no member is left to evict it.
func (c GroupConfig) consumerTemplate() jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		InactiveThreshold: c.HandoverTimeout + c.AckWait,
		Description:       "v1sync " + c.Stage + " group member " + c.Member,
		AckPolicy:         jetstream.AckExplicitPolicy,
		AckWait:           c.AckWait,
		MaxAckPending:     c.MaxAckPending,
		MaxDeliver:        c.MaxDeliver,
	}
}
