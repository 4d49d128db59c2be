package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"
)

// envPrefix starts every environment variable v1sync reads.
const envPrefix = "V1SYNC_"

// envName is the environment fallback of a flag: nats-url → V1SYNC_NATS_URL.
func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// secretFlags never have their values echoed in errors.
var secretFlags = map[string]bool{"nats-url": true}

// flagSet returns a flag set for a subcommand that reports errors instead of
// exiting, and prints usage to the CLI's stderr.
func (c *cli) flagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("v1sync "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	return fs
}

// parse parses args and then fills every flag not given on the command line
// from its environment variable (see envName), so flags win over env and env
// wins over defaults. Usage text shows each flag's variable.
func (c *cli) parse(fs *flag.FlagSet, args []string) error {
	fs.VisitAll(func(f *flag.Flag) {
		if env := envName(f.Name); !strings.Contains(f.Usage, env) {
			f.Usage += " (env " + env + ")"
		}
	})
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageErrorf("%v", err)
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected arguments %q", fs.Args())
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		env := envName(f.Name)
		v := c.getenv(env)
		if given[f.Name] || v == "" {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			if secretFlags[f.Name] {
				errs = append(errs, fmt.Errorf("%s: invalid value", env))
			} else {
				errs = append(errs, fmt.Errorf("%s=%q: %v", env, v, err))
			}
		}
	})
	return errors.Join(errs...)
}

// syncSetting is a fsync policy: an interval, or "always" (fsync before
// every acknowledgement).
type syncSetting struct {
	Always   bool
	Interval time.Duration
}

func (s *syncSetting) String() string {
	if s.Always {
		return "always"
	}
	return s.Interval.String()
}

func (s *syncSetting) Set(v string) error {
	if strings.EqualFold(v, "always") {
		*s = syncSetting{Always: true}
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return fmt.Errorf("want a positive duration such as 1s, or always")
	}
	*s = syncSetting{Interval: d}
	return nil
}

// Durability is how long after a PubAck a message may still be only in the
// server's memory: zero under always.
func (s syncSetting) Durability() time.Duration {
	if s.Always {
		return 0
	}
	return s.Interval
}

// stageList collects repeated --stage flags; a comma-separated value (from
// the environment) counts as several.
type stageList []string

func (l *stageList) String() string { return strings.Join(*l, ",") }

func (l *stageList) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}
