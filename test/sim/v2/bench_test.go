package v2sim

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
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
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if st, _ := benchDo(b, hc, "GET", url, h.projTok, "", ""); st != 200 {
				b.Errorf("status %d", st)
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

// BenchmarkPUT measures conditional PUTs/s: each worker owns a project and
// runs the client's GET→PUT cycle; req/s counts both requests.
func BenchmarkPUT(b *testing.B) {
	h := benchHarness(b)
	hc := h.hc
	b.SetParallelism(32)
	b.ResetTimer()
	start := time.Now()
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
	secs := time.Since(start).Seconds()
	b.ReportMetric(float64(b.N)/secs, "put/s")
	b.ReportMetric(float64(2*b.N)/secs, "req/s")
}

// BenchmarkBaselineHTTP is the floor on this machine: the same client
// against a handler that only writes a fixed JSON body. The simulator's
// figures are meaningful relative to it (the machine is shared and noisy).
func BenchmarkBaselineHTTP(b *testing.B) {
	body := []byte(`{"uid":"00000000-0000-4000-8000-000000000000","slug":"x","name":"x","public":false}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("ETag", "1")
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	hc := benchClient()
	b.SetParallelism(32)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if st, _ := benchDo(b, hc, "GET", srv.URL+"/projects/x", "t", "", ""); st != 200 {
				b.Errorf("status %d", st)
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}
