package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/linuxfoundation/v1sync/stages/backfill"
	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/pgtest"
)

func init() {
	register(command{name: "demo", summary: "run the whole v1 → v2 sync on this machine (embedded NATS, throwaway PostgreSQL, v2 simulator) and report", run: runDemo})
}

// errDemoMismatch: the demo ran but v1 and v2 disagree at the end.
var errDemoMismatch = errors.New("demo: v1 and v2 do not match")

func runDemo(ctx context.Context, c *cli, args []string) error {
	fs := c.flagSet("demo")
	timeout := fs.Duration("timeout", 55*time.Second, "give up after this long")
	level := fs.String("log-level", "fatal", "log level of the stages' JSON logs on stderr (the demo reports dead letters itself)")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	log, err := c.logger(*level)
	if err != nil {
		return err
	}
	bin, err := pgtest.BinDir()
	if err != nil {
		fmt.Fprintln(c.stderr, "v1sync demo needs PostgreSQL's server binaries to run a throwaway v1 database.")
		fmt.Fprintln(c.stderr, "Install them (Debian/Ubuntu): apt-get install -y postgresql")
		return errors.New("PostgreSQL not found: " + err.Error())
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	start := time.Now()
	out := c.stdout
	fmt.Fprintf(out, "v1sync demo: v1 PostgreSQL → ingest → normalize → map → write → v2 simulator, all in this process\n")
	stack, err := startDemoStack(ctx, log)
	if err != nil {
		return fmt.Errorf("demo: start: %w", err)
	}
	fmt.Fprintf(out, "started  embedded NATS, PostgreSQL (%s, port %d), v2 simulator (%s) and 4 stages in %s\n",
		bin, stack.pg.Port, stack.sim.URL(), since(start))
	runErr := runDemoPhases(ctx, stack, out)
	problems := stack.Close()
	if len(problems) > 0 {
		runErr = errors.Join(runErr, errors.New("demo: cleanup: "+strings.Join(problems, "; ")))
	} else {
		fmt.Fprintf(out, "stopped  stages, simulator, PostgreSQL and NATS; temp directories removed (total %s)\n", since(start))
	}
	return runErr
}

func since(t time.Time) time.Duration { return time.Since(t).Round(10 * time.Millisecond) }

// runDemoPhases backfills the sample, applies live changes and reports.
func runDemoPhases(ctx context.Context, s *demoStack, out io.Writer) error {
	phase := time.Now()
	if err := s.awaitCapture(ctx); err != nil {
		return err
	}
	bcfg := backfill.DefaultConfig()
	bcfg.Full, bcfg.Partitions = true, s.opts.topology().Partitions
	bf, err := backfill.New(bcfg, s.pool, s.conn.NC, backfill.WithLogger(s.log))
	if err != nil {
		return err
	}
	res, err := bf.Run(ctx)
	if err != nil {
		return fmt.Errorf("demo: backfill: %w", err)
	}
	var read int64
	for _, t := range res.Tables {
		read += t.Read
	}
	if err := s.settle(ctx); err != nil {
		return fmt.Errorf("demo: after the backfill: %w", err)
	}
	fmt.Fprintf(out, "backfill %d rows of %d tables read; pipeline settled in %s\n", read, len(res.Tables), since(phase))

	picks, err := s.pickSynced(ctx)
	if err != nil {
		return err
	}
	first, second := s.liveScript(picks)
	phase = time.Now()
	if err := s.live(ctx, first, second); err != nil {
		// What the stages did says where the changes stopped.
		rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return errors.Join(err, s.report(rctx, out))
	}
	all := append(first, second...)
	fmt.Fprintf(out, "live     %s committed in PostgreSQL; all reached v2 in %s\n", describeChanges(all), since(phase))
	lat := latencies(all)
	fmt.Fprintf(out, "latency  commit-to-v2 over %d live changes: p50 %s  p99 %s  max %s\n", len(lat),
		percentile(lat, 0.50).Round(time.Millisecond), percentile(lat, 0.99).Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond))
	return s.report(ctx, out)
}

// awaitCapture waits until the replication slot exists, so that every
// change committed from now on is captured.
func (s *demoStack) awaitCapture(ctx context.Context) error {
	for s.capture.Ready() != nil {
		if err := s.stageFailure(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("demo: capture not ready: %v: %w", s.capture.Ready(), ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

// live commits each wave and waits for it to land, then for the stages to settle.
func (s *demoStack) live(ctx context.Context, waves ...[]*liveChange) error {
	for _, w := range waves {
		if err := s.commit(ctx, w); err != nil {
			return err
		}
		if err := awaitLanded(ctx, w, s.stageFailure); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	if err := s.settle(ctx); err != nil {
		return fmt.Errorf("demo: after the live changes: %w", err)
	}
	return nil
}

func describeChanges(cs []*liveChange) string {
	n := map[string]int{}
	for _, c := range cs {
		n[c.kind]++
	}
	return fmt.Sprintf("%d changes (%d inserts, %d updates, %d deletes)", len(cs), n["insert"], n["update"], n["delete"])
}

// settle waits until no stage holds or has pending work, three polls in a
// row (a message moves to the next stage's stream before it is acked).
func (s *demoStack) settle(ctx context.Context) error {
	for idle := 0; idle < 3; {
		busy, err := s.busy(ctx)
		if err != nil {
			return err
		}
		if err := s.stageFailure(); err != nil {
			return err
		}
		idle++
		if busy {
			idle = 0
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pipeline still busy: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

func (s *demoStack) busy(ctx context.Context) (bool, error) {
	for _, r := range s.runners {
		if r.Held() > 0 {
			return true, nil
		}
	}
	topo := s.opts.topology()
	for _, name := range []string{streams.StageNormalize, streams.StageMap, streams.StageWrite} {
		spec, _ := consumerOf(topo, name)
		cons, err := s.conn.JS.Consumer(ctx, spec.Stream, spec.Config.Durable)
		if err != nil {
			return false, err
		}
		info, err := cons.Info(ctx)
		if err != nil {
			return false, err
		}
		if info.NumPending > 0 || info.NumAckPending > 0 {
			return true, nil
		}
	}
	return false, nil
}

// report prints per-stage counts, dead letters and v1-vs-v2 counts; it
// fails when v1 and v2 disagree.
func (s *demoStack) report(ctx context.Context, out io.Writer) error {
	stages, err := s.stageCounts(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\n%-10s %9s %10s %8s %14s\n", "stage", "received", "succeeded", "retried", "dead-lettered")
	for _, c := range stages {
		fmt.Fprintf(out, "%-10s %9d %10d %8d %14d\n", c.stage, c.received, c.succeeded, c.retried, c.deadLettered)
	}
	dl, err := s.deadLetters(ctx)
	if err != nil {
		return err
	}
	if len(dl) > 0 {
		fmt.Fprintf(out, "\ndead letters by stage and reason (sample rows that break a v1 or v2 rule; inspect with `nats stream view DLQ`):\n")
		keys := make([]string, 0, len(dl))
		for k := range dl {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fmt.Fprintf(out, "  %-34s %d\n", k, dl[k])
		}
	}
	fmt.Fprintf(out, "normalize: %s\n", describeCounts(s.norm.Counts()))
	ms := s.mapStage.Stats().Snapshot()
	fmt.Fprintf(out, "map: %d loop-guarded (v1sync's own writes), %d skipped by rule, %d parent waits\n",
		ms.LoopGuarded, ms.Skipped, ms.ParentWaits)
	return s.reportEntities(ctx, out)
}

func (s *demoStack) reportEntities(ctx context.Context, out io.Writer) error {
	counts, err := s.entityCounts(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\n%-10s %8s %8s %12s %11s  %s\n", "entity", "v1 rows", "v1 live", "v1 synced", "v2 objects", "")
	var bad []string
	for _, c := range counts {
		verdict := "match"
		if !c.matches() {
			verdict = "MISMATCH"
			bad = append(bad, c.entity.name)
		}
		fmt.Fprintf(out, "%-10s %8d %8d %12d %11d  %s\n", c.entity.name, c.rows, c.live, c.mapped, c.objects, verdict)
		for _, o := range c.strays {
			fmt.Fprintf(out, "  v2 %s %s has no live v1 row: %.200s\n", o.Kind, o.Key, o.Value)
		}
	}
	fmt.Fprintf(out, "(v1 synced: live rows with a v2 object in the ID map; the rest are dead-lettered, loop-guarded or skipped by rule)\n\n")
	if len(bad) > 0 {
		return fmt.Errorf("%w: %s", errDemoMismatch, strings.Join(bad, ", "))
	}
	return nil
}

func describeCounts(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d %s", m[k], k))
	}
	return strings.Join(parts, ", ")
}
