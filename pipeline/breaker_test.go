package pipeline_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
)

// When most messages die, the breaker stops the stage pulling and /readyz
// reports it unready, instead of draining the stream into the DLQ.
func TestBreakerTripsStopsPullingAndReportsUnready(t *testing.T) {
	const inputs = 100
	env := setup(t, true)
	cfg := testConfig()
	cfg.Workers, cfg.PullMaxMessages, cfg.MaxHeld = 2, 2, 2
	cfg.Breaker = pipeline.BreakerConfig{Window: 10, MaxShare: 0.5, MinSamples: 5}
	st := stageFunc{name: "doomed", fn: func(context.Context, *pipeline.Message) ([]*pipeline.Message, error) {
		return nil, pipeline.Permanent(errors.New("v2 rejects every write"))
	}}
	mp, metrics, err := pipeline.NewPrometheus()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	r := start(t, env, cfg, st, pipeline.WithMeterProvider(mp))
	health := pipeline.NewHealth(env.NC, metrics)
	health.Add(r.Name(), r.Ready)
	srv := httptest.NewServer(health.Handler())
	t.Cleanup(srv.Close)

	natstest.Eventually(t, 5*time.Second, "ready", func() bool { return get(t, srv.URL+"/readyz").StatusCode == http.StatusOK })
	for i := range inputs {
		publish(t, env.JS, "in."+keyOf(i), keyOf(i), []byte("x"), nil)
	}
	natstest.Eventually(t, 10*time.Second, "unready", func() bool {
		return get(t, srv.URL+"/readyz").StatusCode == http.StatusServiceUnavailable
	})
	if body := text(t, srv.URL+"/readyz"); !strings.Contains(body, "breaker open") {
		t.Errorf("/readyz body %q does not name the breaker", body)
	}
	natstest.Eventually(t, 10*time.Second, "held messages settled", func() bool { return r.Held() == 0 })
	dead := env.Msgs(t, streams.DLQ)
	t.Logf("dead letters before the breaker held: %d of %d", dead, inputs)
	if dead < 5 || dead > 5+uint64(cfg.MaxHeld+cfg.PullMaxMessages) {
		t.Errorf("%d dead letters: want the breaker to stop after about %d", dead, cfg.Breaker.MinSamples)
	}
	if info := consumerInfo(t, env.JS); info.NumPending == 0 {
		t.Error("the stage drained its input into the DLQ")
	}
	if get(t, srv.URL+"/livez").StatusCode != http.StatusOK {
		t.Error("/livez failed while only the breaker is open")
	}
	if m := text(t, srv.URL+"/metrics"); !strings.Contains(m, `pipeline_dead_lettered_total{`) || !strings.Contains(m, `stage="doomed"`) {
		t.Errorf("/metrics lacks the dead-letter counter:\n%s", m)
	}
}

// After its cooldown the breaker lets messages through again (half-open).
func TestBreakerHalfOpensAfterCooldown(t *testing.T) {
	env := setup(t, true)
	cfg := testConfig()
	cfg.Workers, cfg.PullMaxMessages, cfg.MaxHeld = 1, 1, 1
	cfg.Breaker = pipeline.BreakerConfig{Window: 4, MaxShare: 0.5, MinSamples: 2, Cooldown: 300 * time.Millisecond}
	st := stageFunc{name: "recovering", fn: func(ctx context.Context, in *pipeline.Message) ([]*pipeline.Message, error) {
		if string(in.Data) == "bad" {
			return nil, pipeline.Permanent(errors.New("bad"))
		}
		return passThrough(ctx, in)
	}}
	r := start(t, env, cfg, st)
	for i := range 3 {
		publish(t, env.JS, "in."+keyOf(i), keyOf(i), []byte("bad"), nil)
	}
	natstest.Eventually(t, 5*time.Second, "breaker open", func() bool { return r.BreakerOpen() })
	for i := range 5 {
		publish(t, env.JS, "in.good"+keyOf(i), "good"+keyOf(i), []byte("good"), nil)
	}
	natstest.Eventually(t, 15*time.Second, "good messages handled after the cooldown", func() bool {
		return env.Msgs(t, outStream) == 5
	})
	natstest.Eventually(t, 5*time.Second, "ready again", func() bool { return r.Ready() == nil })
}

func get(t *testing.T, url string) *http.Response {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return resp
}

func text(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
