package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"
)

// Runner runs one Stage: it takes messages (from Run's consumer, or from any
// source through Dispatch), serializes them per key on a bounded worker
// pool, calls the stage, publishes its outputs, and acks, retries or
// dead-letters the input.
//
// Retries happen in place: a failing message stays held in its key's lane
// (kept alive with InProgress) while its backoff elapses, so later messages
// of that key wait behind it and no other key does. Only at shutdown is a
// held message handed back with NakWithDelay, together with the later
// messages of its key, in order and with increasing delays.
type Runner struct {
	cfg     Config
	stage   Stage
	js      jetstream.JetStream
	log     zerolog.Logger
	tel     *telemetry
	breaker *breaker
	// afterPublish is a test hook run once outputs are PubAck'd, before the ack.
	afterPublish func(*Message)

	mu      sync.Mutex
	cond    *sync.Cond
	lanes   map[string]*lane
	held    map[string]*held
	closing bool

	workers  chan struct{}
	lanesWG  sync.WaitGroup
	bound    atomic.Bool
	stopOnce sync.Once
	stopCh   chan struct{}
	deadline time.Time
	// handleCtx is the parent of every handler call; it is cancelled when
	// the shutdown bound passes.
	handleCtx     context.Context
	cancelHandle  context.CancelFunc
	keepAlive     sync.Once
	keepAliveStop sync.Once
	keepAliveEnd  chan struct{}
	settings      options
}

// held is one message the runner owns until it is acked, naked or termed.
type held struct {
	msg     jetstream.Msg
	in      *Message
	key     string
	id      string
	lane    *lane
	settled atomic.Bool
}

// NewRunner checks cfg and builds a runner for stage that publishes with js.
func NewRunner(cfg Config, stage Stage, js jetstream.JetStream, opts ...Option) (*Runner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if stage == nil || js == nil {
		return nil, errors.New("pipeline: runner needs a stage and a JetStream context")
	}
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	tel, err := newTelemetry(stage.Name(), o)
	if err != nil {
		return nil, fmt.Errorf("pipeline: %s telemetry: %w", stage.Name(), err)
	}
	r := &Runner{
		cfg: cfg, stage: stage, js: js, tel: tel, settings: o, afterPublish: o.afterPublish,
		log:     o.log.With().Str(FieldStage, stage.Name()).Logger(),
		breaker: newBreaker(cfg.Breaker),
		lanes:   map[string]*lane{}, held: map[string]*held{},
		workers: make(chan struct{}, cfg.Workers), stopCh: make(chan struct{}),
		keepAliveEnd: make(chan struct{}),
	}
	r.cond = sync.NewCond(&r.mu)
	r.handleCtx, r.cancelHandle = context.WithCancel(context.Background())
	return r, nil
}

// Name is the stage's name.
func (r *Runner) Name() string { return r.stage.Name() }

// Ready reports why the runner cannot take work, or nil: its consumer must
// be bound, its DLQ breaker closed, and it must not be shutting down.
func (r *Runner) Ready() error {
	switch {
	case r.stopping():
		return errors.New("shutting down")
	case r.breaker.isOpen():
		return errors.New("DLQ circuit breaker open")
	case !r.bound.Load():
		return errors.New("consumer not bound")
	}
	return nil
}

// Held returns how many messages the runner holds (running, retrying or
// queued behind their key).
func (r *Runner) Held() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.held)
}

// MarkBound tells Ready whether the runner's source is consuming. Run sets
// it itself; a source that feeds Dispatch (a partition group) sets it when
// its consumers are up and clears it when they stop.
func (r *Runner) MarkBound(bound bool) { r.bound.Store(bound) }

// BreakerOpen reports whether the DLQ circuit breaker is open. A source that
// feeds Dispatch should stop pulling while it is: Dispatch hands messages of
// idle keys straight back.
func (r *Runner) BreakerOpen() bool { return r.breaker.isOpen() }

func (r *Runner) stopping() bool {
	select {
	case <-r.stopCh:
		return true
	default:
		return false
	}
}

// acquire takes a worker slot; workers bound concurrent handler and publish calls.
func (r *Runner) acquire() { r.workers <- struct{}{} }
func (r *Runner) release() { <-r.workers }

// pause waits d, keeping held messages alive; false means shutdown began.
func (r *Runner) pause(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.stopCh:
		return false
	}
}
