package v2sim

import (
	"fmt"
	"sync"
	"testing"
)

// putRace sends n PUTs with the same If-Match at once and counts statuses.
func putRace(t *testing.T, h *harness, n int, path, etag string, body func(i int) map[string]any) map[int]int {
	t.Helper()
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		counts = map[int]int{}
		start  = make(chan struct{})
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r := h.req("PUT", path, body(i), "If-Match", etag)
			mu.Lock()
			counts[r.status]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return counts
}

// TestConcurrentProjectPUTs: 50 writers with one ETag → exactly one wins,
// every other gets 409 (the KV CAS decides, never 412).
func TestConcurrentProjectPUTs(t *testing.T) {
	h := newHarness(t)
	s := slug()
	uid := h.newProject(s, nil)
	path := "/projects/" + uid
	counts := putRace(t, h, 50, path, h.etag(path), func(i int) map[string]any {
		return projectBody(h, s, map[string]any{"name": fmt.Sprintf("writer %d", i)})
	})
	if counts[200] != 1 || counts[409] != 49 {
		t.Fatalf("statuses %v, want 1×200 and 49×409", counts)
	}
}

// TestConcurrentCommitteePUTs: the committee service compares revisions
// before writing, so racers that pass that check lose at the CAS with a
// 500 (spec §3.5); still exactly one wins.
func TestConcurrentCommitteePUTs(t *testing.T) {
	h := newHarness(t)
	p := h.newProject(slug(), nil)
	c := h.newCommittee(p, "race", nil)
	path := "/committees/" + c
	counts := putRace(t, h, 50, path, h.etag(path), func(i int) map[string]any {
		return map[string]any{"project_uid": p, "name": "race", "category": "Board", "description": fmt.Sprint(i)}
	})
	if counts[200] != 1 || counts[409]+counts[500] != 49 {
		t.Fatalf("statuses %v, want 1×200 and 49×(409|500)", counts)
	}
}
