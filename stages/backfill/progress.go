package backfill

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/linuxfoundation/v1sync/pipeline"
)

// Progress hears how a run advances. Calls come from the run's goroutine.
type Progress interface {
	// Table starts a table: done rows were read by an earlier, crashed
	// attempt of the run; total is done plus the rows left.
	Table(name string, done, total int64)
	// Advance reports rows whose chunk is published and checkpointed.
	Advance(rows int)
	// Finish ends the current table.
	Finish()
}

// meter computes rate and ETA of the current table.
type meter struct {
	name              string
	done, total, base int64
	started           time.Time
}

func (m *meter) rate(now time.Time) float64 {
	secs := now.Sub(m.started).Seconds()
	if secs <= 0 {
		return 0
	}
	return float64(m.done-m.base) / secs
}

func (m *meter) eta(now time.Time) time.Duration {
	r := m.rate(now)
	if r <= 0 || m.total <= m.done {
		return 0
	}
	return time.Duration(float64(m.total-m.done) / r * float64(time.Second)).Round(time.Second)
}

// Bar draws a one-line progress bar for a terminal, redrawn at most every
// tenth of a second.
type Bar struct {
	w    io.Writer
	now  func() time.Time
	m    meter
	last time.Time
	mu   sync.Mutex
}

// NewBar returns a bar writing to w (a terminal).
func NewBar(w io.Writer) *Bar { return &Bar{w: w, now: time.Now} }

func (b *Bar) Table(name string, done, total int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.m = meter{name: name, done: done, total: total, base: done, started: b.now()}
	b.draw(true)
}

func (b *Bar) Advance(rows int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.m.done += int64(rows)
	b.draw(false)
}

func (b *Bar) Finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.draw(true)
	fmt.Fprintln(b.w)
}

func (b *Bar) draw(force bool) {
	now := b.now()
	if !force && now.Sub(b.last) < 100*time.Millisecond {
		return
	}
	b.last = now
	const width = 30
	filled := width
	if b.m.total > 0 && b.m.done < b.m.total {
		filled = int(b.m.done * width / b.m.total)
	}
	fmt.Fprintf(b.w, "\r%-30s [%s%s] %d/%d rows  %.0f rows/s  ETA %s\x1b[K", b.m.name,
		strings.Repeat("#", filled), strings.Repeat(".", width-filled), b.m.done, b.m.total, b.m.rate(now), b.m.eta(now))
}

// LogLines reports progress as log lines, one per interval and one per
// table, for when stdout is not a terminal (pods, CI).
type LogLines struct {
	log      zerolog.Logger
	every    time.Duration
	now      func() time.Time
	m        meter
	lastLine time.Time
}

// NewLogLines logs to log at most once per every.
func NewLogLines(log zerolog.Logger, every time.Duration) *LogLines {
	return &LogLines{log: log, every: every, now: time.Now}
}

func (l *LogLines) Table(name string, done, total int64) {
	l.m = meter{name: name, done: done, total: total, base: done, started: l.now()}
	l.lastLine = l.m.started
	l.log.Info().Str(pipeline.FieldTable, name).Int64(pipeline.FieldCount, total-done).Int64("done", done).Msg("backfill: reading table")
}

func (l *LogLines) Advance(rows int) {
	l.m.done += int64(rows)
	if now := l.now(); now.Sub(l.lastLine) >= l.every {
		l.lastLine = now
		l.line(now, "backfill: progress")
	}
}

func (l *LogLines) Finish() { l.line(l.now(), "backfill: table done") }

func (l *LogLines) line(now time.Time, msg string) {
	l.log.Info().Str(pipeline.FieldTable, l.m.name).Int64("rows", l.m.done).Int64("total", l.m.total).
		Float64("rows_per_s", float64(int64(l.m.rate(now)))).Dur("eta", l.m.eta(now)).Msg(msg)
}

// NoProgress discards progress.
type NoProgress struct{}

func (NoProgress) Table(string, int64, int64) {}
func (NoProgress) Advance(int)                {}
func (NoProgress) Finish()                    {}
