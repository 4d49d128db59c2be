package mapids

import "sync/atomic"

// Stats counts what the stage did with its inputs. The runner counts
// messages and errors; these are the outcomes only the stage can tell apart.
type Stats struct {
	Intents       atomic.Uint64 // intents emitted (upserts and deletes)
	Deletes       atomic.Uint64 // of which deletes
	LoopGuarded   atomic.Uint64 // rows written by v1sync itself, skipped
	PassThrough   atomic.Uint64 // prefixes other services own, acked
	UnknownPrefix atomic.Uint64 // prefixes nobody handles, acked with a warning
	Empty         atomic.Uint64 // empty values or keys without an id, acked with a warning
	Skipped       atomic.Uint64 // rows the rules skip (a member without an email)
	ParentWaits   atomic.Uint64 // attempts that found a parent not mapped yet
}

// StatsSnapshot is a copy of Stats at one moment.
type StatsSnapshot struct {
	Intents, Deletes, LoopGuarded, PassThrough, UnknownPrefix, Empty, Skipped, ParentWaits uint64
}

// Snapshot reads every counter.
func (s *Stats) Snapshot() StatsSnapshot {
	return StatsSnapshot{
		Intents: s.Intents.Load(), Deletes: s.Deletes.Load(), LoopGuarded: s.LoopGuarded.Load(),
		PassThrough: s.PassThrough.Load(), UnknownPrefix: s.UnknownPrefix.Load(),
		Empty: s.Empty.Load(), Skipped: s.Skipped.Load(), ParentWaits: s.ParentWaits.Load(),
	}
}
