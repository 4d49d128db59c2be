package pipeline

import (
	"context"
	"fmt"
	"time"
)

// Stop begins a graceful shutdown and returns at once. From now on Dispatch
// takes no new keys (it hands their messages back), queued and retrying
// messages are handed back in key order, and running handlers get until
// ShutdownTimeout to finish. Stop is idempotent.
//
// A source that feeds Dispatch shuts down in this order: Stop the runner,
// stop or drain its own consumers (late deliveries are handed back), then
// Wait. Run does all of this itself.
func (r *Runner) Stop() {
	r.stopOnce.Do(func() {
		r.mu.Lock()
		r.closing = true
		r.deadline = time.Now().Add(r.cfg.ShutdownTimeout)
		r.cond.Broadcast()
		r.mu.Unlock()
		close(r.stopCh)
		r.log.Info().Dur(FieldTimeout, r.cfg.ShutdownTimeout).Msg("stopping: finishing in-flight messages")
	})
}

// Wait blocks until every held message is settled or the shutdown bound
// passes; then it cancels running handlers, hands back what is left, and
// flushes the connection so acks and naks reach the server. It returns an
// error naming how many messages were handed back unfinished. Call Stop
// first (Wait calls it if you did not).
func (r *Runner) Wait() error { return r.Drain(context.Background()) }

// Drain is Stop, then Wait bounded also by ctx. A partition-group source
// calls it when it leaves the group, after its consumers stopped.
func (r *Runner) Drain(ctx context.Context) error {
	r.Stop()
	done := make(chan struct{})
	go func() { r.lanesWG.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = r.abandon(ctx.Err().Error())
	case <-time.After(time.Until(r.deadline)):
		err = r.abandon(fmt.Sprintf("shutdown bound %s passed", r.cfg.ShutdownTimeout))
	}
	r.cancelHandle()
	r.stopKeepAlive()
	if ferr := r.js.Conn().FlushTimeout(r.cfg.PublishTimeout); ferr != nil && err == nil {
		err = fmt.Errorf("pipeline: %s: flushing acks at shutdown: %w", r.Name(), ferr)
	}
	r.log.Info().Msg("stopped")
	return err
}

// abandon cancels running handlers and hands back every unsettled message.
func (r *Runner) abandon(why string) error {
	r.cancelHandle()
	n := r.handBackAll()
	err := fmt.Errorf("pipeline: %s: %s, handed back %d unfinished messages", r.Name(), why, n)
	r.log.Warn().Err(err).Msg("shutdown incomplete")
	return err
}

// Shutdown is Stop then Wait.
func (r *Runner) Shutdown() error {
	r.Stop()
	return r.Wait()
}

// startKeepAlive starts the InProgress ticker with the first message.
func (r *Runner) startKeepAlive() {
	r.keepAlive.Do(func() { go r.keepHeldAlive() })
}

func (r *Runner) stopKeepAlive() {
	r.keepAlive.Do(func() {}) // never start it after this
	r.keepAliveStop.Do(func() { close(r.keepAliveEnd) })
}

// keepHeldAlive sends InProgress for every held message each period, so
// messages that run long, retry in place or wait behind their key are not
// redelivered while the runner still owns them.
func (r *Runner) keepHeldAlive() {
	t := time.NewTicker(r.cfg.KeepAliveEvery())
	defer t.Stop()
	for {
		select {
		case <-r.keepAliveEnd:
			return
		case <-t.C:
			for _, h := range r.snapshotHeld() {
				if !h.settled.Load() {
					_ = h.msg.InProgress()
				}
			}
		}
	}
}

func (r *Runner) snapshotHeld() []*held {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*held, 0, len(r.held))
	for _, h := range r.held {
		out = append(out, h)
	}
	return out
}
