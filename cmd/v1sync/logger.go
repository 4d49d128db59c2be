package main

import (
	"time"

	"github.com/rs/zerolog"
)

// logger returns a JSON logger on stderr at the named level.
func (c *cli) logger(level string) (zerolog.Logger, error) {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil || level == "" {
		return zerolog.Nop(), usageErrorf("log level %q: want debug, info, warn or error", level)
	}
	zerolog.TimeFieldFormat = time.RFC3339Nano
	return zerolog.New(c.stderr).Level(lvl).With().Timestamp().Logger(), nil
}
