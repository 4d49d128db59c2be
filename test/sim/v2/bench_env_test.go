package v2sim

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/linuxfoundation/v1sync/streams/embedded"
)

// Benchmarks share one server and simulator: the testing package calls a
// benchmark function several times while it sizes b.N, and starting a
// JetStream server each time would dominate the run.
var bench struct {
	once    sync.Once
	err     error
	srv     *embedded.Server
	sim     *Sim
	dir     string
	projTok string
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bench.sim != nil {
		_ = bench.sim.Close()
	}
	if bench.srv != nil {
		bench.srv.Stop()
	}
	if bench.dir != "" {
		_ = os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

// benchHarness returns a harness bound to the shared simulator.
func benchHarness(b *testing.B) *harness {
	b.Helper()
	bench.once.Do(startBenchEnv)
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return &harness{t: b, sim: bench.sim, hc: benchClient(), projTok: bench.projTok}
}

func startBenchEnv() {
	if bench.dir, bench.err = os.MkdirTemp("", "v2sim-bench-"); bench.err != nil {
		return
	}
	cfg := embedded.DefaultConfig(bench.dir)
	if bench.srv, bench.err = embedded.Start(cfg); bench.err != nil {
		return
	}
	nc, err := bench.srv.Connect()
	if err != nil {
		bench.err = err
		return
	}
	simCfg := DefaultConfig()
	simCfg.EventDelay = Delay{}
	simCfg.SigningKey, simCfg.SigningKeyID = testKey(nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if bench.sim, bench.err = Start(ctx, nc, simCfg); bench.err != nil {
		return
	}
	bench.projTok, bench.err = bench.sim.Token(testPrincipal, AudienceProjects)
	if bench.err != nil {
		bench.err = fmt.Errorf("bench token: %w", bench.err)
	}
}
