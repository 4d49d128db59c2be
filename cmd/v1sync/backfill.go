package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/linuxfoundation/v1sync/stages/backfill"
)

func init() {
	register(command{name: "backfill", summary: "re-read v1 tables into V1_CHANGES (full or incremental, resumable)", run: runBackfill})
}

type backfillFlags struct {
	tables, since, dsnFile string
	full, dryRun           bool
	chunk                  int
	overlap                time.Duration
}

func (f *backfillFlags) register(fs *flag.FlagSet) {
	def := backfill.DefaultConfig()
	fs.StringVar(&f.tables, "tables", "", "comma-separated schema.table[:key=col][:pk=col][:ts=col+col] to read (default: every captured table)")
	fs.BoolVar(&f.full, "full", false, "read every row, ignoring the bookmarks")
	fs.StringVar(&f.since, "since", "", "read rows changed since this time (RFC3339 or 2006-01-02[ 15:04:05], UTC when zone-less)")
	fs.BoolVar(&f.dryRun, "dry-run", false, "count the rows a run would read; publish nothing")
	fs.IntVar(&f.chunk, "chunk-size", def.ChunkSize, "rows per chunk (the checkpoint unit)")
	fs.DurationVar(&f.overlap, "bookmark-overlap", def.BookmarkOverlap, "incremental runs re-read this margin before the bookmark")
	fs.StringVar(&f.dsnFile, "pg-dsn-file", "", "file holding the v1 database connection string (else env "+envV1DSNFile+" or "+envV1DSN+")")
}

func (f *backfillFlags) config(getenv func(string) string, partitions int) (backfill.Config, error) {
	cfg := backfill.DefaultConfig()
	cfg.Full, cfg.DryRun, cfg.ChunkSize, cfg.BookmarkOverlap, cfg.Partitions = f.full, f.dryRun, f.chunk, f.overlap, partitions
	tables, err := v1Tables(getenv, f.tables)
	if err != nil {
		return cfg, usageErrorf("%v", err)
	}
	cfg.Tables = tables
	if f.since != "" {
		if cfg.Since, err = parseSince(f.since); err != nil {
			return cfg, usageErrorf("--since %q: %v", f.since, err)
		}
	}
	return cfg, cfg.Validate()
}

func parseSince(v string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("want RFC3339, 2006-01-02T15:04:05 or 2006-01-02")
}

func runBackfill(ctx context.Context, c *cli, args []string) error {
	fs := c.flagSet("backfill")
	var o natsOptions
	o.register(fs)
	var f backfillFlags
	f.register(fs)
	if err := c.parse(fs, args); err != nil {
		return err
	}
	log, err := c.logger(o.LogLevel)
	if err != nil {
		return err
	}
	cfg, err := f.config(c.getenv, o.Partitions)
	if err != nil {
		return err
	}
	dsn, err := v1DSN(c.getenv, f.dsnFile)
	if err != nil {
		return err
	}
	if dsn == "" {
		return usageErrorf("no v1 database: set %s, %s or --pg-dsn-file", envV1DSN, envV1DSNFile)
	}
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		// The parse error may quote the string: never show it.
		return errors.New("v1 database connection string: invalid")
	}
	defer pool.Close()
	conn, err := connectNATS(ctx, o, log)
	if err != nil {
		return err
	}
	defer conn.Close()
	var progress backfill.Progress = backfill.NewLogLines(log, 10*time.Second)
	if isTerminal(c.stdout) {
		progress = backfill.NewBar(c.stdout)
	}
	b, err := backfill.New(cfg, pool, conn.NC, backfill.WithLogger(log), backfill.WithProgress(progress))
	if err != nil {
		return err
	}
	res, err := b.Run(ctx)
	printBackfill(c.stdout, res)
	return err
}

func printBackfill(w io.Writer, res backfill.Result) {
	switch {
	case res.DryRun:
		fmt.Fprintln(w, "dry run: nothing published")
	case res.Resumed:
		fmt.Fprintf(w, "run %s (resumed)\n", res.Run)
	default:
		fmt.Fprintf(w, "run %s\n", res.Run)
	}
	for _, t := range res.Tables {
		since := "all rows"
		if t.Since != nil {
			since = "since " + t.Since.Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%-32s %8d read %8d published %6d without key  (%s)\n", t.Table, t.Read, t.Published, t.NoKey, since)
	}
}

// isTerminal reports whether w is a character device (a terminal), where a
// redrawn progress bar makes sense.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
