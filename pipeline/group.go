package pipeline

// Per-key serialization across processes.
//
// When several processes (pods) run one stage, each is a member of the
// stage's pcgroups elastic consumer group (github.com/synadia-io/orbit.go
// /pcgroups, declared in streams.Config.Groups and created by
// streams.ProvisionGroups). The server sources the stage's input into the
// work-queue stream "<stream>-<stage>" with a partition number hashed from the
// key tokens; pcgroups splits the partitions over the members in contiguous
// blocks and gives each member one consumer, named after the member, filtered
// to its partitions. A work-queue stream refuses two consumers with
// overlapping filters, so a partition is consumed by at most one member: that
// is the cross-process fence. Within a member the runner serializes by key.
//
// Why pcgroups and not a scheme of our own: it already does the assignment,
// the rebalancing on membership changes and the fence, and it handles a KV
// stream (the map stage's input) whose subjects carry no partition token,
// which per-partition durables on the input stream could not do without a
// derived stream of our own. What it lacks is failure handling: it never
// moves a dead member's partitions (jetstream-guide §5.1). RunGroup adds
// that: every member writes a heartbeat to the v1sync-members bucket, and
// every member evicts the members whose heartbeat is older than DeadAfter
// (measured on server timestamps, so host clocks do not matter): it deletes
// the dead member's consumer, which lifts the fence and leaves the dead
// member's unacked messages at the head of the work queue, then removes the
// member from the group, upon which the survivors take its partitions and
// replay them in order. Evictions are idempotent and the membership update is
// a compare-and-set, so any number of members may race to evict.
//
// The cost of pcgroups: the work queue doubles the input's storage while it
// is buffered; users see the stream "<stream>-<stage>" and one consumer per
// member instead of the durable "<stage>"; and a group created over a stream
// with history sources all of it once. Messages reach the runner with the
// origin's stream and sequence in Metadata (see groupMsg), so DLQ headers and
// deterministic Nats-Msg-Ids name the input stream, exactly as in
// single-process mode.
//
// The guarantee holds for crashed members. A member that stalls for longer
// than DeadAfter while holding a message is evicted; its successor may then
// handle that message's key while the stalled member finishes it, once.
// Stages are idempotent and version-guarded, so that is a duplicate apply,
// never a reordering of applied state.

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
	// InProgress at a fraction of it). pcgroups also derives the consumer's
	// inactivity threshold, pin TTL and pull expiry from it.
	AckWait time.Duration
	// MaxAckPending bounds the messages delivered and not yet acked. pcgroups
	// consumes with the client's default prefetch (500), so this is the
	// member's real prefetch bound: keep it near the runner's MaxHeld, so
	// no message waits unseen in the client buffer while its AckWait runs.
	MaxAckPending int
	// MaxDeliver bounds server-side deliveries (see streams.Config).
	MaxDeliver int
	// Heartbeat is how often the member proves it is alive and checks the
	// others; DeadAfter is how old a heartbeat may get before its member is
	// evicted. DeadAfter bounds the failover time.
	Heartbeat time.Duration
	DeadAfter time.Duration
	// LeaveTimeout bounds a graceful leave: draining the runner and handing
	// the partitions over.
	LeaveTimeout time.Duration
	// Log receives membership events; the zero logger discards them.
	Log zerolog.Logger
}

// DefaultGroupConfig returns the settings of a member with a default name;
// the caller sets Stream and Stage.
func DefaultGroupConfig() GroupConfig {
	return GroupConfig{
		Member:        DefaultMember(),
		AckWait:       streams.DefaultConfig().AckWait,
		MaxAckPending: 256,
		MaxDeliver:    streams.DefaultConfig().MaxDeliver,
		Heartbeat:     time.Second,
		DeadAfter:     5 * time.Second,
		LeaveTimeout:  20 * time.Second,
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
	if c.MaxAckPending < 1 {
		errs = append(errs, fmt.Errorf("group: max ack pending %d: want at least 1", c.MaxAckPending))
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

// consumerTemplate is the member consumer's config; pcgroups fills in the
// name, filters and priority group.
func (c GroupConfig) consumerTemplate() jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Description:   "v1sync " + c.Stage + " group member " + c.Member,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       c.AckWait,
		MaxAckPending: c.MaxAckPending,
		MaxDeliver:    c.MaxDeliver,
	}
}
