package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/synadia-io/orbit.go/pcgroups"
)

// leave hands our partitions over: stop pulling, let in-flight work settle,
// delete our consumer (lifting the fence), then leave the membership so the
// others take the partitions at once instead of after DeadAfter.
func (m *groupMember) leave() error {
	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), m.cfg.LeaveTimeout)
	defer cancel()
	m.markBound(false)
	if m.cons.cc != nil {
		m.cons.cc.Stop()
		select {
		case <-m.cons.cc.Closed():
		case <-ctx.Done():
		}
	}
	var errs []error
	// Drain first: it stops the runner, which unblocks Dispatch calls
	// waiting for room and hands later deliveries back.
	if err := m.d.Drain(ctx); err != nil {
		errs = append(errs, fmt.Errorf("drain: %w", err))
	}
	if err := m.closeGate(ctx); err != nil {
		errs = append(errs, fmt.Errorf("dispatch calls still running: %w", err))
	}
	if n := m.cons.inflight.wait(ctx); n > 0 {
		errs = append(errs, fmt.Errorf("%d messages unsettled", n))
	}
	m.cons.cc = nil
	m.cons.release(ctx)
	var err error
	for range 5 {
		if _, err = pcgroups.DeleteMembers(ctx, m.js, m.cfg.Stream, m.cfg.Stage, []string{m.cfg.Member}); err == nil {
			break
		}
	}
	if err != nil {
		errs = append(errs, fmt.Errorf("leave membership: %w", err))
	}
	if m.stopBeats != nil {
		m.stopBeats()
	}
	if m.live != nil {
		if err := m.live.forget(ctx, m.cfg.Member); err != nil {
			errs = append(errs, fmt.Errorf("delete heartbeat: %w", err))
		}
		m.live.stop()
	}
	_ = m.changes.Stop()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("group %s: member %s left uncleanly: %w", m.cfg.groupStream(), m.cfg.Member, err)
	}
	m.log.Info().Dur(FieldDuration, time.Since(began)).Msg("left consumer group")
	return nil
}

// closeGate waits for Dispatch calls in progress, then refuses new ones.
func (m *groupMember) closeGate(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		m.gate.Lock()
		m.closed = true
		m.gate.Unlock()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
