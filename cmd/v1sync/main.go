// Command v1sync keeps LFX v1 and LFX One (v2) in step.
//
// Adding a subcommand: create cmd/v1sync/<name>.go with
//
//	func init() {
//		register(command{name: "backfill", summary: "re-read v1 tables into V1_CHANGES", run: runBackfill})
//	}
//	func runBackfill(ctx context.Context, c *cli, args []string) error { ... }
//
// Parse flags with c.flagSet(name) + natsOptions.register + c.parse (env
// fallbacks included), log with c.logger, connect with connectNATS.
//
// Adding a stage: create cmd/v1sync/stage_<name>.go with
//
//	func init() { registerStage(streams.StageWrite, newWriteStage) }
//	func newWriteStage(d stageDeps) (pipeline.Stage, error) { ... }
//
// or, for a stage that is not fed by a JetStream consumer (PostgreSQL
// capture), registerSource(name, func(stageDeps) (source, error)).
// Stage-specific settings come from d.Env (environment variables named
// V1SYNC_<STAGE>_...); only this package reads the environment. A builder
// whose required settings are missing returns notConfigured("set ..."):
// `run` of all stages then skips it with a warning instead of failing.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
)

// command is one v1sync subcommand.
type command struct {
	name    string
	summary string
	// run receives the arguments after the subcommand name. ctx is cancelled
	// on SIGTERM or SIGINT.
	run func(ctx context.Context, c *cli, args []string) error
}

var commands = map[string]command{}

// register adds a subcommand; called from init functions.
func register(c command) {
	if _, dup := commands[c.name]; dup {
		panic("v1sync: subcommand registered twice: " + c.name)
	}
	commands[c.name] = c
}

// cli is what a subcommand may touch of the outside world; tests replace it.
type cli struct {
	stdout, stderr io.Writer
	// getenv reads the environment; only cmd/ calls it.
	getenv func(string) string
}

func main() {
	os.Exit(mainExit(os.Args[1:]))
}

// mainExit runs one subcommand and returns the process exit code.
func mainExit(args []string) int {
	c := &cli{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		// A second signal means "now": skip the graceful path.
		<-ctx.Done()
		stop()
	}()
	err := c.dispatch(ctx, args)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, new(usageError)):
		fmt.Fprintln(c.stderr, "v1sync:", err)
		return 2
	default:
		fmt.Fprintln(c.stderr, "v1sync:", err)
		return 1
	}
}

// usageError is a mistake in the command line or settings (exit code 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Sprintf(format, args...)}
}

func (c *cli) dispatch(ctx context.Context, args []string) error {
	if len(args) == 0 {
		c.help()
		return usageErrorf("no subcommand given")
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "--help" {
		c.help()
		return nil
	}
	cmd, ok := commands[name]
	if !ok {
		return usageErrorf("unknown subcommand %q; known: %s", name, strings.Join(commandNames(), ", "))
	}
	return cmd.run(ctx, c, args[1:])
}

func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func (c *cli) help() {
	fmt.Fprintln(c.stdout, "usage: v1sync <command> [flags]   (v1sync <command> -h for its flags)")
	fmt.Fprintln(c.stdout, "\ncommands:")
	for _, n := range commandNames() {
		fmt.Fprintf(c.stdout, "  %-12s %s\n", n, commands[n].summary)
	}
}
