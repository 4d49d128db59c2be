package main

import (
	"context"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/streams"
)

func init() {
	register(command{name: "provision", summary: "create or update the streams, KV buckets, consumers and consumer groups", run: runProvision})
}

func runProvision(ctx context.Context, c *cli, args []string) error {
	fs := c.flagSet("provision")
	var o natsOptions
	o.register(fs)
	var groups stageList
	fs.Var(&groups, "group-stages", "also create the consumer groups of these stages (comma-separated), for run --group")
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
	if err == nil && len(groups) > 0 {
		var more []streams.Change
		more, err = provisionGroups(ctx, conn, o, groups, log)
		changes = append(changes, more...)
	}
	for _, ch := range changes {
		fmt.Fprintln(c.stdout, ch)
	}
	return err
}

// provision applies the topology and logs what changed.
func provision(ctx context.Context, conn *natsConn, o natsOptions, log zerolog.Logger) ([]streams.Change, error) {
	changes, err := streams.Provision(ctx, conn.JS, o.topology())
	logChanges(changes, log)
	if err != nil {
		return changes, fmt.Errorf("provision on %s: %w", conn.URL, err)
	}
	return changes, nil
}

// provisionGroups creates the consumer groups of stages.
func provisionGroups(ctx context.Context, conn *natsConn, o natsOptions, stages []string, log zerolog.Logger) ([]streams.Change, error) {
	if len(stages) == 0 {
		return nil, nil
	}
	changes, err := streams.ProvisionGroups(ctx, conn.JS, o.topology(), stages...)
	logChanges(changes, log)
	if err != nil {
		return changes, fmt.Errorf("provision groups on %s: %w", conn.URL, err)
	}
	return changes, nil
}

func logChanges(changes []streams.Change, log zerolog.Logger) {
	n := 0
	for _, ch := range changes {
		if ch.Action != streams.Unchanged {
			n++
			log.Info().Str(pipeline.FieldResource, ch.Kind+" "+ch.Name).Str(pipeline.FieldAction, string(ch.Action)).Msg("provisioned")
		}
	}
	log.Info().Int(pipeline.FieldChanged, n).Int(pipeline.FieldCount, len(changes)).Msg("topology provisioned")
}
