package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	v2sim "github.com/linuxfoundation/v1sync/test/sim/v2"
)

func init() {
	register(command{name: "sim", summary: "serve a simulator of a service v1sync talks to (sim v2: LFX One project/committee services)", run: runSim})
	registerSim("v2", runSimV2)
}

// simulators maps "v1sync sim <name>" to its runner.
var simulators = map[string]func(ctx context.Context, c *cli, args []string) error{}

func registerSim(name string, run func(ctx context.Context, c *cli, args []string) error) {
	if _, dup := simulators[name]; dup {
		panic("v1sync: simulator registered twice: " + name)
	}
	simulators[name] = run
}

func runSim(ctx context.Context, c *cli, args []string) error {
	if len(args) == 0 || simulators[args[0]] == nil {
		names := make([]string, 0, len(simulators))
		for n := range simulators {
			names = append(names, n)
		}
		return usageErrorf("sim: want one of %s", strings.Join(names, ", "))
	}
	return simulators[args[0]](ctx, c, args[1:])
}

// faultList collects repeated --fault flags; ";" separates several in one value.
type faultList []string

func (l *faultList) String() string { return strings.Join(*l, ";") }

func (l *faultList) Set(v string) error {
	for _, f := range strings.Split(v, ";") {
		if f = strings.TrimSpace(f); f != "" {
			if _, _, err := v2sim.ParseFault(f); err != nil {
				return err
			}
			*l = append(*l, f)
		}
	}
	return nil
}

type simV2Options struct {
	cfg     v2sim.Config
	mode    string
	delay   string
	keyFile string
	faults  faultList
}

func (o *simV2Options) register(fs *flag.FlagSet) {
	o.cfg = v2sim.DefaultConfig()
	fs.StringVar(&o.cfg.Addr, "addr", "127.0.0.1:8080", "HTTP listen address of both services")
	fs.StringVar(&o.mode, "auth-mode", string(v2sim.AuthDirect), "direct (bad token: Goa 500) or gateway (bad token: bare 403, as Heimdall)")
	fs.StringVar(&o.cfg.ProjectAudience, "project-audience", o.cfg.ProjectAudience, "JWT audience of the project service")
	fs.StringVar(&o.cfg.CommitteeAudience, "committee-audience", o.cfg.CommitteeAudience, "JWT audience of the committee service")
	fs.StringVar(&o.cfg.JWKSURL, "jwks-url", "", "verify tokens with keys from this JWKS URL; empty: the simulator's own key")
	fs.StringVar(&o.keyFile, "signing-key-file", "", "PEM file of the simulator's Heimdall key, created if missing; empty: a fresh key each start")
	fs.StringVar(&o.delay, "event-delay", "200ms-1500ms", "indexer event lag without X-Sync: min-max or a fixed duration")
	fs.BoolVar(&o.cfg.InternalEffects, "internal-effects", true, "run the committee service's member recount and rename fan-out")
	fs.StringVar(&o.cfg.RootUID, "root-uid", "", "uid of the seeded ROOT project; empty: random")
	fs.Var(&o.faults, "fault", `fault, repeatable: "<METHOD /pattern|*>:latency=20ms,jitter=5ms,error=0.1,status=503,error_after_write=0.1,fail_publish=0.1,drop=0.01,drop_after_write=0.01,event_delay=0s-2s,event_drop=0.1,event_dup=0.1"`)
}

// config turns the flags into a simulator config.
func (o *simV2Options) config() (v2sim.Config, error) {
	cfg := o.cfg
	cfg.AuthMode = v2sim.AuthMode(o.mode)
	d, err := v2sim.ParseDelay(o.delay)
	if err != nil {
		return cfg, usageErrorf("--event-delay %q: %v", o.delay, err)
	}
	cfg.EventDelay = d
	cfg.Faults = map[v2sim.Endpoint]v2sim.Fault{}
	for _, spec := range o.faults {
		ep, f, _ := v2sim.ParseFault(spec)
		cfg.Faults[ep] = f
	}
	if o.keyFile != "" {
		if cfg.SigningKey, err = v2sim.LoadOrCreateSigningKey(o.keyFile); err != nil {
			return cfg, err
		}
	}
	if err := cfg.Validate(); err != nil {
		return cfg, usageErrorf("%v", err)
	}
	return cfg, nil
}

func runSimV2(ctx context.Context, c *cli, args []string) error {
	fs := c.flagSet("sim v2")
	var no natsOptions
	no.register(fs)
	var o simV2Options
	o.register(fs)
	if err := c.parse(fs, args); err != nil {
		return err
	}
	cfg, err := o.config()
	if err != nil {
		return err
	}
	log, err := c.logger(no.LogLevel)
	if err != nil {
		return err
	}
	conn, err := connectNATS(ctx, no, log)
	if err != nil {
		return err
	}
	defer conn.Close()
	start := time.Now()
	return v2sim.Serve(ctx, conn.NC, cfg, func(s *v2sim.Sim) {
		pa, ca := s.Audiences()
		fmt.Fprintf(c.stdout, "v2 simulator on %s (JWKS %s, ROOT %s, audiences %s / %s, NATS %s) ready in %s\n",
			s.URL(), s.JWKSURL(), s.RootUID(), pa, ca, conn.URL, time.Since(start).Round(time.Millisecond))
	})
}
