package pipeline

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/nats-io/nats.go"
)

// Health serves /livez, /readyz and /metrics for one process. Every runner
// registers its Ready with Add; /readyz fails while NATS is disconnected or
// any runner is not ready (consumer unbound, breaker open, shutting down).
type Health struct {
	nc      *nats.Conn
	metrics http.Handler
	mu      sync.Mutex
	checks  map[string]func() error
}

// NewHealth watches nc; metrics (from NewPrometheus) may be nil.
func NewHealth(nc *nats.Conn, metrics http.Handler) *Health {
	return &Health{nc: nc, metrics: metrics, checks: map[string]func() error{}}
}

// Add registers a readiness check, e.g. Add(r.Name(), r.Ready).
func (h *Health) Add(name string, ready func() error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.checks[name] = ready
}

// Handler routes the three endpoints.
func (h *Health) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/livez", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/readyz", h.serveReady)
	if h.metrics != nil {
		mux.Handle("/metrics", h.metrics)
	}
	return mux
}

func (h *Health) serveReady(w http.ResponseWriter, _ *http.Request) {
	problems := h.problems()
	if len(problems) > 0 {
		http.Error(w, strings.Join(problems, "\n"), http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ok")
}

// problems lists why the process is not ready, sorted for stable output.
func (h *Health) problems() []string {
	var out []string
	if h.nc == nil || !h.nc.IsConnected() {
		out = append(out, "nats: not connected")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for name, ready := range h.checks {
		if err := ready(); err != nil {
			out = append(out, fmt.Sprintf("%s: %v", name, err))
		}
	}
	sort.Strings(out)
	return out
}
