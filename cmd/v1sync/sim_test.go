package main

import (
	"context"
	"errors"
	"testing"
	"time"

	v2sim "github.com/linuxfoundation/v1sync/test/sim/v2"
)

func parseSimV2(t *testing.T, env map[string]string, args ...string) (v2sim.Config, error) {
	t.Helper()
	c, _, _ := testCLI(env)
	fs := c.flagSet("sim v2")
	var no natsOptions
	no.register(fs)
	var o simV2Options
	o.register(fs)
	if err := c.parse(fs, args); err != nil {
		return v2sim.Config{}, err
	}
	return o.config()
}

func TestSimV2Flags(t *testing.T) {
	cfg, err := parseSimV2(t, map[string]string{"V1SYNC_EVENT_DELAY": "5ms"},
		"--auth-mode", "gateway", "--fault", "PUT /projects/{uid}:error=0.5;*:latency=2ms", "--fault", "POST /committees:drop=1")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.AuthMode != v2sim.AuthGateway || cfg.EventDelay != (v2sim.Delay{Min: 5 * time.Millisecond, Max: 5 * time.Millisecond}) {
		t.Fatalf("config %+v", cfg)
	}
	if len(cfg.Faults) != 3 || cfg.Faults[v2sim.ProjectUpdate].ErrorRate != 0.5 || cfg.Faults[v2sim.CommitteeCreate].DropRate != 1 {
		t.Fatalf("faults %+v", cfg.Faults)
	}
	for _, bad := range [][]string{{"--auth-mode", "open"}, {"--fault", "*:error=7"}, {"--event-delay", "soon"}} {
		if _, err := parseSimV2(t, nil, bad...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestSimNeedsAKnownSimulator(t *testing.T) {
	c, _, _ := testCLI(nil)
	err := c.dispatch(context.Background(), []string{"sim", "v9"})
	if !errors.As(err, new(usageError)) {
		t.Fatalf("err %v", err)
	}
}
