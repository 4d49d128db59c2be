package pipeline

import (
	"errors"
	"fmt"
	"time"
)

// Config tunes one Runner. Start from DefaultConfig; only cmd/ maps
// environment variables onto it.
type Config struct {
	// Workers bounds how many handlers run at once (over all keys).
	Workers int
	// MaxDeliveries is how many attempts a transiently failing message gets
	// before it is dead-lettered. Keep it below the consumer's MaxDeliver.
	MaxDeliveries int
	// Backoff spaces the retries of one message.
	Backoff BackoffConfig
	// PullMaxMessages bounds the client-side prefetch. Prefetched messages
	// are not yet kept alive with InProgress, so the buffer must drain well
	// within AckWait: keep it near Workers.
	PullMaxMessages int
	// PullExpiry and PullHeartbeat shape each pull request. A short
	// heartbeat bounds how long Consume can sit idle when its count of
	// outstanding messages drifts from the server's (observed: 30 s stalls
	// with nats.go's defaults under load): it re-pulls after two missed
	// heartbeats.
	PullExpiry    time.Duration
	PullHeartbeat time.Duration
	// MaxHeld bounds the messages the runner holds (running, retrying or
	// queued behind their key). When it is reached, Dispatch blocks and the
	// consumer stops pulling.
	MaxHeld int
	// MaxPerKey bounds the messages queued behind one key. A key that
	// reaches it blocks Dispatch until it drains: backpressure, never an
	// unbounded buffer.
	MaxPerKey int
	// AckWait must equal the consumer's AckWait.
	AckWait time.Duration
	// InProgressEvery is how often held messages are kept alive; zero
	// means AckWait/3.
	InProgressEvery time.Duration
	// ShutdownTimeout bounds how long Shutdown waits for running handlers
	// before it naks what did not finish.
	ShutdownTimeout time.Duration
	// PublishTimeout bounds one publish (output or dead letter) and its PubAck.
	PublishTimeout time.Duration
	// ShutdownNakDelay is the redelivery delay of messages handed back at
	// shutdown; later messages of a key get slightly longer delays.
	ShutdownNakDelay time.Duration
	Breaker          BreakerConfig
}

// BackoffConfig is an exponential backoff with jitter.
type BackoffConfig struct {
	Initial    time.Duration
	Max        time.Duration
	Multiplier float64
	// Jitter is the randomization factor: each delay is drawn from
	// [d*(1-Jitter), d*(1+Jitter)].
	Jitter float64
}

// BreakerConfig trips the DLQ circuit breaker when more than MaxShare of the
// last Window outcomes were dead letters, once MinSamples outcomes are known.
type BreakerConfig struct {
	Window     int
	MaxShare   float64
	MinSamples int
	// Cooldown is how long an open breaker waits before it lets messages
	// through again (half-open). Zero keeps it open until the process
	// restarts.
	Cooldown time.Duration
}

// DefaultConfig returns settings for a consumer with a 30 s AckWait.
func DefaultConfig() Config {
	return Config{
		Workers:          16,
		MaxDeliveries:    10,
		Backoff:          BackoffConfig{Initial: 200 * time.Millisecond, Max: 30 * time.Second, Multiplier: 2, Jitter: 0.3},
		PullMaxMessages:  32,
		PullExpiry:       10 * time.Second,
		PullHeartbeat:    time.Second,
		MaxHeld:          256,
		MaxPerKey:        32,
		AckWait:          30 * time.Second,
		ShutdownTimeout:  20 * time.Second,
		PublishTimeout:   5 * time.Second,
		ShutdownNakDelay: time.Second,
		Breaker:          BreakerConfig{Window: 100, MaxShare: 0.5, MinSamples: 20, Cooldown: 5 * time.Minute},
	}
}

// KeepAliveEvery returns the effective InProgress period.
func (c Config) KeepAliveEvery() time.Duration {
	if c.InProgressEvery > 0 {
		return c.InProgressEvery
	}
	return c.AckWait / 3
}

// Validate reports every setting that cannot work.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("pipeline: "+format, args...)) }
	if c.Workers < 1 {
		bad("workers %d: want at least 1", c.Workers)
	}
	if c.MaxDeliveries < 1 {
		bad("max deliveries %d: want at least 1", c.MaxDeliveries)
	}
	if c.PullMaxMessages < 1 {
		bad("pull max messages %d: want at least 1", c.PullMaxMessages)
	}
	if c.PullHeartbeat < 500*time.Millisecond || c.PullHeartbeat > 30*time.Second || c.PullExpiry < 2*c.PullHeartbeat {
		bad("pull heartbeat %s, expiry %s: want 500ms <= heartbeat <= 30s and expiry >= 2x heartbeat", c.PullHeartbeat, c.PullExpiry)
	}
	if c.MaxHeld < c.Workers || c.MaxPerKey < 1 {
		bad("max held %d / per key %d: want held >= workers and per key >= 1", c.MaxHeld, c.MaxPerKey)
	}
	if c.AckWait <= 0 || c.KeepAliveEvery() <= 0 || c.KeepAliveEvery() >= c.AckWait {
		bad("ack wait %s, in-progress every %s: want 0 < in-progress < ack wait", c.AckWait, c.KeepAliveEvery())
	}
	if c.ShutdownTimeout <= 0 || c.PublishTimeout <= 0 || c.ShutdownNakDelay < 0 {
		bad("shutdown timeout, publish timeout must be positive")
	}
	errs = append(errs, c.Backoff.validate(), c.Breaker.validate())
	return errors.Join(errs...)
}

func (b BackoffConfig) validate() error {
	if b.Initial <= 0 || b.Max < b.Initial || b.Multiplier < 1 || b.Jitter < 0 || b.Jitter >= 1 {
		return fmt.Errorf("pipeline: backoff %+v: want 0 < initial <= max, multiplier >= 1, 0 <= jitter < 1", b)
	}
	return nil
}

func (b BreakerConfig) validate() error {
	if b.Window < 1 || b.MinSamples < 1 || b.MinSamples > b.Window || b.MaxShare <= 0 || b.MaxShare > 1 || b.Cooldown < 0 {
		return fmt.Errorf("pipeline: breaker %+v: want 1 <= min samples <= window, 0 < max share <= 1", b)
	}
	return nil
}
