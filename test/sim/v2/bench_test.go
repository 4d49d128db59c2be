package v2sim

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"
)

// benchClient keeps enough idle connections for every parallel worker.
func benchClient() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxIdleConns: 256}}
}

func benchDo(b *testing.B, hc *http.Client, method, url, tok, etag, body string) (int, string) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r, _ := http.NewRequest(method, url, rd)
	r.Header.Set("Authorization", "Bearer "+tok)
	if etag != "" {
		r.Header.Set("If-Match", etag)
	}
	res, err := hc.Do(r)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, res.Header.Get("ETag")
}

// BenchmarkGET measures single-object GETs/s (auth, KV get, render).
func BenchmarkGET(b *testing.B) {
	h := benchHarness(b)
	uid := h.newProject(slug(), nil)
	url, hc := h.sim.URL()+"/projects/"+uid, h.hc
	b.SetParallelism(32)
	b.ResetTimer()
	m := startMeter()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if st, _ := benchDo(b, hc, "GET", url, h.projTok, "", ""); st != 200 {
				b.Errorf("status %d", st)
			}
		}
	})
	m.report(b, b.N)
}

// BenchmarkPUT measures conditional PUTs/s: each worker owns a project and
// runs the client's GET→PUT cycle; req/s counts both requests.
func BenchmarkPUT(b *testing.B) {
	h := benchHarness(b)
	hc := h.hc
	b.SetParallelism(32)
	b.ResetTimer()
	m := startMeter()
	b.RunParallel(func(pb *testing.PB) {
		s := slug()
		uid := h.newProject(s, nil)
		url := h.sim.URL() + "/projects/" + uid
		body := mustJSON(b, projectBody(h, s, map[string]any{"description": "updated by the benchmark"}))
		for pb.Next() {
			_, etag := benchDo(b, hc, "GET", url, h.projTok, "", "")
			if st, _ := benchDo(b, hc, "PUT", url, h.projTok, etag, body); st != 200 {
				b.Errorf("status %d", st)
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(m.wall).Seconds(), "put/s")
	m.report(b, 2*b.N)
}

// BenchmarkBaselineHTTP is the floor on this machine: the same client and
// request (token included) against a handler that only writes a fixed body. The simulator's
// figures are meaningful relative to it (the machine is shared and noisy).
func BenchmarkBaselineHTTP(b *testing.B) {
	body := []byte(`{"uid":"00000000-0000-4000-8000-000000000000","slug":"x","name":"x","public":false}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("ETag", "1")
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	h := benchHarness(b) // the same client and token as the simulator gets
	b.SetParallelism(32)
	b.ResetTimer()
	m := startMeter()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if st, _ := benchDo(b, h.hc, "GET", srv.URL+"/projects/"+missingUID, h.projTok, "", ""); st != 200 {
				b.Errorf("status %d", st)
			}
		}
	})
	m.report(b, b.N)
}

// meter measures wall time and this process's CPU time (client, simulator
// and embedded NATS all run in it). req/cpu-s is what the machine being
// shared cannot distort: on two idle cores, req/s ≈ 2 × req/cpu-s.
type meter struct {
	wall time.Time
	cpu  time.Duration
}

func startMeter() meter { return meter{wall: time.Now(), cpu: cpuTime()} }

func (m meter) report(b *testing.B, requests int) {
	b.ReportMetric(float64(requests)/time.Since(m.wall).Seconds(), "req/s")
	if cpu := cpuTime() - m.cpu; cpu > 0 {
		b.ReportMetric(float64(requests)/cpu.Seconds(), "req/cpu-s")
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
