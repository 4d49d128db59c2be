package main

import (
	"context"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/linuxfoundation/v1sync/streams"
)

func init() {
	register(command{name: "provision", summary: "create or update the streams, KV buckets and consumers", run: runProvision})
}

func runProvision(ctx context.Context, c *cli, args []string) error {
	fs := c.flagSet("provision")
	var o natsOptions
	o.register(fs)
	if err := c.parse(fs, args); err != nil {
		return err
	}
	log, err := c.logger(o.LogLevel)
	if err != nil {
		return err
	}
	conn, err := connectNATS(ctx, o, log)
	if err != nil {
		return err
	}
	defer conn.Close()
	changes, err := provision(ctx, conn, o, log)
	for _, ch := range changes {
		fmt.Fprintln(c.stdout, ch)
	}
	return err
}

// provision applies the topology and logs what changed.
func provision(ctx context.Context, conn *natsConn, o natsOptions, log zerolog.Logger) ([]streams.Change, error) {
	changes, err := streams.Provision(ctx, conn.JS, o.topology())
	n := 0
	for _, ch := range changes {
		if ch.Action != streams.Unchanged {
			n++
			log.Info().Str("kind", ch.Kind).Str("name", ch.Name).Str("action", string(ch.Action)).Msg("provisioned")
		}
	}
	if err != nil {
		return changes, fmt.Errorf("provision on %s: %w", conn.URL, err)
	}
	log.Info().Int("changed", n).Int("total", len(changes)).Msg("topology provisioned")
	return changes, nil
}
