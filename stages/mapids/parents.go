package mapids

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/nats-io/nats.go"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/idmap"
	"github.com/linuxfoundation/v1sync/streams"
)

// parentUID resolves a parent's forward mapping (what names the parent, for
// errors: "parent project", "committee"). A missing or pending mapping waits
// for the parent; a tombstoned one is never used as a uid (the prior art
// passed "!del" on as the uid) and dead-letters the child at once: the
// parent was deleted in v1 and will not come back.
func (s *Stage) parentUID(ctx context.Context, in *pipeline.Message, what, mapKey string) (string, error) {
	e, found, err := s.deps.IDs.Get(ctx, mapKey)
	if err != nil {
		return "", pipeline.Retry(err, 0)
	}
	if found && e.Tombstoned() {
		return "", pipeline.Permanent(pipeline.WithReason(
			fmt.Errorf("%s was deleted in v1 (%s is tombstoned)", what, mapKey), ReasonParentDeleted))
	}
	if !found || !e.Live() {
		return "", s.waitForParent(in, fmt.Errorf("%s is not mapped yet (%s)", what, mapKey), ReasonParentUnmapped)
	}
	return e.Value, nil
}

// waitForParent retries a row whose parent is not there yet with a growing
// delay, and dead-letters it past the attempt bound: never dropped.
func (s *Stage) waitForParent(in *pipeline.Message, err error, reason pipeline.Reason) error {
	s.stats.ParentWaits.Add(1)
	attempt := s.waits.next(waitID(in), in.Deliveries)
	if attempt >= s.cfg.ParentMaxDeliveries {
		return pipeline.Permanent(pipeline.WithReason(
			fmt.Errorf("%w; gave up after %d attempts", err, attempt), reason))
	}
	return pipeline.WithReason(pipeline.Retry(err, s.cfg.parentRetryDelay(attempt)), reason)
}

// parentWaits counts the attempts of inputs waiting for a parent. The
// runner retries a message in place without a new delivery, so Deliveries
// alone would not grow; the larger of both counts is the attempt.
type parentWaits struct {
	mu       sync.Mutex
	attempts map[string]uint64
}

// maxTrackedWaits bounds the memory of waiting inputs; past it the counts
// restart, which only delays a dead letter.
const maxTrackedWaits = 100_000

func (w *parentWaits) next(id string, deliveries uint64) uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.attempts == nil || len(w.attempts) >= maxTrackedWaits {
		w.attempts = map[string]uint64{}
	}
	n := max(w.attempts[id]+1, deliveries)
	w.attempts[id] = n
	return n
}

// done forgets an input that no longer waits.
func (w *parentWaits) done(id string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.attempts, id)
}

func waitID(in *pipeline.Message) string { return in.Stream + ":" + strconv.FormatUint(in.Seq, 10) }

func (s *Stage) projectUID(ctx context.Context, in *pipeline.Message, what, sfid string) (string, error) {
	return s.parentUID(ctx, in, what+" "+sfid, idmap.ProjectSFIDKey(sfid))
}

func (s *Stage) committeeUID(ctx context.Context, in *pipeline.Message, sfid string) (string, error) {
	return s.parentUID(ctx, in, "committee "+sfid, idmap.CommitteeSFIDKey(sfid))
}

// rootUID is the uid of the v2 project that top-level v1 projects hang under.
func (s *Stage) rootUID(ctx context.Context, in *pipeline.Message) (string, error) {
	uid, err := s.root.uid(ctx)
	if err != nil {
		return "", s.waitForParent(in, err, ReasonRootUnresolved)
	}
	return uid, nil
}

// rootResolver asks the project service for the ROOT uid once and caches
// it: the ROOT project is created with the environment and never changes.
type rootResolver struct {
	nc  *nats.Conn
	cfg Config

	mu     sync.Mutex
	cached string
}

func newRootResolver(nc *nats.Conn, cfg Config) *rootResolver {
	return &rootResolver{nc: nc, cfg: cfg}
}

func (r *rootResolver) uid(ctx context.Context) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cached != "" {
		return r.cached, nil
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.LookupTimeout)
	defer cancel()
	msg, err := r.nc.RequestWithContext(ctx, streams.SubjectSlugToUID, []byte(r.cfg.RootSlug))
	if err != nil {
		return "", fmt.Errorf("look up the %s project uid on %s: %w", r.cfg.RootSlug, streams.SubjectSlugToUID, err)
	}
	uid := strings.TrimSpace(string(msg.Data))
	if uid == "" {
		return "", fmt.Errorf("the project service does not know slug %q (%s answered empty)", r.cfg.RootSlug, streams.SubjectSlugToUID)
	}
	r.cached = uid
	return uid, nil
}
