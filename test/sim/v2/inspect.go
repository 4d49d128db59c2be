package v2sim

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
)

// Call counts the calls that got one status on one route. Status 0 means
// the connection was closed without an answer.
type Call struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Status int    `json:"status"`
	Count  int    `json:"count"`
}

type callKey struct {
	pattern string
	status  int
}

type callCounter struct {
	mu sync.Mutex
	n  map[callKey]int
}

func newCallCounter() *callCounter { return &callCounter{n: make(map[callKey]int)} }

// statusRecorder counts a call when its status is decided, before any byte
// reaches the client, so that a test reading the counts after an answer
// (or a dropped connection) always sees that call.
type statusRecorder struct {
	http.ResponseWriter
	recorded bool
	record   func(status int)
}

func (r *statusRecorder) note(status int) {
	if !r.recorded {
		r.recorded = true
		r.record(status)
	}
}

func (r *statusRecorder) WriteHeader(code int) {
	r.note(code)
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.note(http.StatusOK)
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// count wraps the mux so that every API call is counted by route and status.
func (s *Sim) count(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, record: func(status int) {
			if isAPI(r.Pattern) || r.Pattern == "" {
				s.calls.add(r.Pattern, status)
			}
		}}
		next.ServeHTTP(rec, r)
	})
}

func (c *callCounter) add(pattern string, status int) {
	if pattern == "" {
		pattern = "UNMATCHED /"
	}
	c.mu.Lock()
	c.n[callKey{pattern, status}]++
	c.mu.Unlock()
}

// Calls lists call counts sorted by path, method and status.
func (s *Sim) Calls() []Call {
	s.calls.mu.Lock()
	out := make([]Call, 0, len(s.calls.n))
	for k, n := range s.calls.n {
		method, path, _ := strings.Cut(k.pattern, " ")
		out = append(out, Call{Method: method, Path: path, Status: k.status, Count: n})
	}
	s.calls.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.Method != b.Method {
			return a.Method < b.Method
		}
		return a.Status < b.Status
	})
	return out
}

// CallCount is how many calls to ep were answered status (0: dropped).
func (s *Sim) CallCount(ep Endpoint, status int) int {
	s.calls.mu.Lock()
	defer s.calls.mu.Unlock()
	return s.calls.n[callKey{string(ep), status}]
}

// ResetCalls forgets all counts.
func (s *Sim) ResetCalls() {
	s.calls.mu.Lock()
	clear(s.calls.n)
	s.calls.mu.Unlock()
}

// Object is one stored KV entry: a record or a secondary-index key.
type Object struct {
	Bucket   string          `json:"bucket"`
	Key      string          `json:"key"`
	Revision uint64          `json:"revision"`
	Kind     string          `json:"kind"`
	Value    json.RawMessage `json:"value"`
}

// Object kinds.
const (
	KindProject           = "project"
	KindProjectSettings   = "project_settings"
	KindCommittee         = "committee"
	KindCommitteeSettings = "committee_settings"
	KindMember            = "committee_member"
	KindIndex             = "index"
)

var recordKind = map[string]string{
	BucketProjects: KindProject, BucketProjectSettings: KindProjectSettings, BucketCommittees: KindCommittee,
	BucketCommitteeSettings: KindCommitteeSettings, BucketMembers: KindMember,
}

// Objects lists every live key of every bucket, records and index keys.
func (s *Sim) Objects(ctx context.Context) ([]Object, error) {
	var out []Object
	for _, b := range allBuckets {
		objs, err := s.bucketObjects(ctx, b)
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	return out, nil
}

func (s *Sim) bucketObjects(ctx context.Context, bucket string) ([]Object, error) {
	kv := s.st.byName[bucket]
	keys, err := kv.ListKeys(ctx)
	if err != nil {
		return nil, err
	}
	var out []Object
	for k := range keys.Keys() {
		e, err := kv.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		kind := recordKind[bucket]
		if strings.Contains(k, "/") {
			kind = KindIndex
		}
		val := json.RawMessage(e.Value())
		if !json.Valid(val) {
			val, _ = json.Marshal(string(e.Value()))
		}
		out = append(out, Object{Bucket: bucket, Key: k, Revision: e.Revision(), Kind: kind, Value: val})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// inspectRoutes serves the test-only /_sim endpoints for standalone use.
func (s *Sim) inspectRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /_sim/calls", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.Calls())
	})
	mux.HandleFunc("GET /_sim/objects", func(w http.ResponseWriter, r *http.Request) {
		objs, err := s.Objects(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		writeJSON(w, http.StatusOK, objs)
	})
	mux.HandleFunc("POST /_sim/reset", func(w http.ResponseWriter, r *http.Request) {
		if err := s.Reset(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_sim/faults", func(w http.ResponseWriter, r *http.Request) {
		var specs []string
		if err := json.NewDecoder(r.Body).Decode(&specs); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, spec := range specs {
			ep, f, err := ParseFault(spec)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			s.faults.set(ep, f)
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("DELETE /_sim/faults", func(w http.ResponseWriter, _ *http.Request) {
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
}
