package main

import (
	"github.com/rs/zerolog"

	"github.com/linuxfoundation/v1sync/pipeline"
)

// logger returns the project's JSON logger on stderr at the named level.
func (c *cli) logger(level string) (zerolog.Logger, error) {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil || level == "" {
		return zerolog.Nop(), usageErrorf("log level %q: want debug, info, warn or error", level)
	}
	return pipeline.NewLogger(c.stderr, lvl), nil
}
