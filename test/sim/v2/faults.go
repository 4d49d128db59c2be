package v2sim

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fault is what goes wrong on an endpoint. Rates are shares of calls in
// [0,1], applied deterministically: rate 0.25 fails exactly every 4th call.
type Fault struct {
	// Latency is added before every call, plus a uniform [0, Jitter).
	Latency, Jitter time.Duration
	// ErrorRate of calls are answered ErrorStatus (500 or 503; default 503)
	// in the service's error shape, without touching state.
	ErrorRate   float64
	ErrorStatus int
	// ErrorAfterWriteRate of calls do all their work (state stored, events
	// published) and then answer ErrorStatus, like a proxy timing out.
	ErrorAfterWriteRate float64
	// FailPublishRate of writes lose their NATS publishes after the KV
	// write: the project service then answers 500, committee deletes 503,
	// committee creates/updates still succeed (spec §7.3 #10).
	FailPublishRate float64
	// DropRate of calls have their connection closed unanswered, before
	// any work; DropAfterWriteRate after the work is done.
	DropRate, DropAfterWriteRate float64
	// EventDelay overrides Config.EventDelay for this endpoint's events.
	EventDelay *Delay
	// EventDropRate of indexer events are lost (core NATS is lossy).
	EventDropRate float64
	// EventDuplicateRate of indexer events are published twice, as a
	// redelivering JetStream wrapper would hand them on.
	EventDuplicateRate float64
}

func (f Fault) validate() error {
	for name, r := range map[string]float64{"ErrorRate": f.ErrorRate, "ErrorAfterWriteRate": f.ErrorAfterWriteRate, "FailPublishRate": f.FailPublishRate,
		"DropRate": f.DropRate, "DropAfterWriteRate": f.DropAfterWriteRate, "EventDropRate": f.EventDropRate,
		"EventDuplicateRate": f.EventDuplicateRate} {
		if r < 0 || r > 1 {
			return fmt.Errorf("%s %v is not in [0,1]", name, r)
		}
	}
	if f.ErrorStatus != 0 && f.ErrorStatus != 500 && f.ErrorStatus != 503 {
		return fmt.Errorf("ErrorStatus %d is not 500 or 503", f.ErrorStatus)
	}
	if f.Latency < 0 || f.Jitter < 0 {
		return fmt.Errorf("negative latency")
	}
	if d := f.EventDelay; d != nil && (d.Min < 0 || d.Max < d.Min) {
		return fmt.Errorf("EventDelay [%s, %s] is not a range", d.Min, d.Max)
	}
	return nil
}

// share turns a rate into a deterministic yes/no sequence.
type share struct{ acc float64 }

func (s *share) next(rate float64) bool {
	if rate <= 0 {
		return false
	}
	s.acc += rate
	if s.acc >= 1-1e-9 {
		s.acc--
		return true
	}
	return false
}

type faultState struct {
	f                                                            Fault
	errs, errsAfter, publish, drop, dropAfter, evtDrops, evtDups share
}

// plan is what the faults decided for one call.
type plan struct {
	latency     time.Duration
	errStatus   int
	errAfter    int // status to answer after the work is done; 0 = none
	failPublish bool
	drop        bool
	dropAfter   bool
	eventDelay  *Delay
	ep          Endpoint
}

type faultTable struct {
	mu     sync.Mutex
	faults map[Endpoint]*faultState
}

func newFaultTable(initial map[Endpoint]Fault) *faultTable {
	t := &faultTable{faults: make(map[Endpoint]*faultState)}
	for ep, f := range initial {
		t.set(ep, f)
	}
	return t
}

func (t *faultTable) set(ep Endpoint, f Fault) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.faults[ep] = &faultState{f: f}
}

func (t *faultTable) clear() {
	t.mu.Lock()
	defer t.mu.Unlock()
	clear(t.faults)
}

// state returns ep's fault, else the wildcard one; callers hold mu.
func (t *faultTable) state(ep Endpoint) *faultState {
	if st, ok := t.faults[ep]; ok {
		return st
	}
	return t.faults[AllEndpoints]
}

func (t *faultTable) decide(ep Endpoint) plan {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := plan{ep: ep}
	st := t.state(ep)
	if st == nil {
		return p
	}
	f := st.f
	p.latency = f.Latency
	if f.Jitter > 0 {
		p.latency += rand.N(f.Jitter)
	}
	status := f.ErrorStatus
	if status == 0 {
		status = 503
	}
	p.drop = st.drop.next(f.DropRate)
	if !p.drop && st.errs.next(f.ErrorRate) {
		p.errStatus = status
	}
	if st.errsAfter.next(f.ErrorAfterWriteRate) {
		p.errAfter = status
	}
	p.failPublish = st.publish.next(f.FailPublishRate)
	p.dropAfter = st.dropAfter.next(f.DropAfterWriteRate)
	p.eventDelay = f.EventDelay
	return p
}

// eventCopies says how many times the next event caused by ep goes out:
// 0 (lost), 1, or 2 (duplicated).
func (t *faultTable) eventCopies(ep Endpoint) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.state(ep)
	switch {
	case st == nil:
		return 1
	case st.evtDrops.next(st.f.EventDropRate):
		return 0
	case st.evtDups.next(st.f.EventDuplicateRate):
		return 2
	}
	return 1
}

// ParseFault reads a fault flag: "<endpoint>:key=value,…" where endpoint is
// "METHOD /pattern" or "*", and keys are latency, jitter, error, status,
// error_after_write, fail_publish, drop, drop_after_write, event_delay (min-max), event_drop.
// Example: "PUT /projects/{uid}:latency=20ms,error=0.1,status=500".
func ParseFault(spec string) (Endpoint, Fault, error) {
	ep, opts, ok := strings.Cut(spec, ":")
	if !ok {
		return "", Fault{}, fmt.Errorf("fault %q: want <endpoint>:key=value,…", spec)
	}
	var f Fault
	for _, kv := range strings.Split(opts, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		if err := f.setOption(k, v); err != nil {
			return "", Fault{}, fmt.Errorf("fault %q: %s: %w", spec, k, err)
		}
	}
	return Endpoint(strings.TrimSpace(ep)), f, f.validate()
}

func (f *Fault) setOption(k, v string) (err error) {
	switch k {
	case "latency":
		f.Latency, err = time.ParseDuration(v)
	case "jitter":
		f.Jitter, err = time.ParseDuration(v)
	case "error":
		f.ErrorRate, err = strconv.ParseFloat(v, 64)
	case "status":
		f.ErrorStatus, err = strconv.Atoi(v)
	case "error_after_write":
		f.ErrorAfterWriteRate, err = strconv.ParseFloat(v, 64)
	case "fail_publish":
		f.FailPublishRate, err = strconv.ParseFloat(v, 64)
	case "drop":
		f.DropRate, err = strconv.ParseFloat(v, 64)
	case "drop_after_write":
		f.DropAfterWriteRate, err = strconv.ParseFloat(v, 64)
	case "event_dup":
		f.EventDuplicateRate, err = strconv.ParseFloat(v, 64)
	case "event_drop":
		f.EventDropRate, err = strconv.ParseFloat(v, 64)
	case "event_delay":
		var d Delay
		d, err = ParseDelay(v)
		f.EventDelay = &d
	default:
		err = fmt.Errorf("unknown option")
	}
	return err
}

// ParseDelay reads "200ms-1500ms" or a single fixed "300ms".
func ParseDelay(s string) (Delay, error) {
	lo, hi, isRange := strings.Cut(s, "-")
	min, err := time.ParseDuration(lo)
	if err != nil {
		return Delay{}, err
	}
	if !isRange {
		return Delay{Min: min, Max: min}, nil
	}
	max, err := time.ParseDuration(hi)
	return Delay{Min: min, Max: max}, err
}

// pick draws a duration from d.
func (d Delay) pick() time.Duration {
	if d.Max <= d.Min {
		return d.Min
	}
	return d.Min + rand.N(d.Max-d.Min)
}
