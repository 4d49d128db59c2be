package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/pipeline"
)

func init() {
	register(command{name: "dlq", summary: "list dead letters, or redrive them to the stage that failed them (dlq list|redrive)", run: runDLQ})
}

// dlqFlags are the flags of dlq list and dlq redrive.
type dlqFlags struct {
	nats   natsOptions
	stage  string
	reason string
	seqs   seqList
	dryRun bool
	keep   bool
}

func runDLQ(ctx context.Context, c *cli, args []string) error {
	if len(args) == 0 || (args[0] != "list" && args[0] != "redrive") {
		return usageErrorf("dlq: want `dlq list` or `dlq redrive`")
	}
	action := args[0]
	fs := c.flagSet("dlq " + action)
	var f dlqFlags
	f.nats.register(fs)
	fs.StringVar(&f.stage, "stage", "", "only dead letters of this stage (map, write, …)")
	fs.StringVar(&f.reason, "reason", "", "only dead letters with this V1sync-Reason (parent-unmapped, …)")
	fs.Var(&f.seqs, "seq", "only these DLQ sequences (repeat, or comma-separate)")
	if action == "redrive" {
		fs.BoolVar(&f.dryRun, "dry-run", false, "say what would be redriven, change nothing")
		fs.BoolVar(&f.keep, "keep", false, "leave redriven dead letters in the DLQ")
	}
	if err := c.parse(fs, args[1:]); err != nil {
		return err
	}
	log, err := c.logger(f.nats.LogLevel)
	if err != nil {
		return err
	}
	conn, err := connectNATS(ctx, f.nats, log)
	if err != nil {
		return err
	}
	defer conn.Close()
	filter := pipeline.DeadLetterFilter{Stage: f.stage, Reason: f.reason, Seqs: f.seqs}
	if action == "list" {
		return listDeadLetters(ctx, conn.JS, filter, c.stdout)
	}
	return redriveDeadLetters(ctx, conn.JS, filter, f, c.stdout)
}

// listDeadLetters prints one line per dead letter, then counts by stage and
// reason.
func listDeadLetters(ctx context.Context, js jetstream.JetStream, filter pipeline.DeadLetterFilter, w io.Writer) error {
	counts := map[string]int{}
	err := pipeline.ReadDeadLetters(ctx, js, filter, func(d *pipeline.DeadLetter) error {
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", d.Seq, d.Stage, d.Reason, d.Key,
			d.FailedAt.Format(time.RFC3339), d.Error)
		counts[d.Stage+"\t"+d.Reason]++
		return nil
	})
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintf(w, "\n%d dead letters\n", total(counts))
	for _, k := range keys {
		fmt.Fprintf(w, "  %6d  %s\n", counts[k], k)
	}
	return err
}

// redriveDeadLetters redrives every selected dead letter and, unless kept,
// deletes it from the DLQ once its redrive is stored. One that fails to
// redrive stays in the DLQ and makes the command fail after the others.
func redriveDeadLetters(ctx context.Context, js jetstream.JetStream, filter pipeline.DeadLetterFilter, f dlqFlags, w io.Writer) error {
	counts := map[string]int{}
	var errs []error
	err := pipeline.ReadDeadLetters(ctx, js, filter, func(d *pipeline.DeadLetter) error {
		if f.dryRun {
			fmt.Fprintf(w, "would redrive %d\t%s\t%s\t%s\n", d.Seq, d.Stage, d.Reason, d.Subject)
			counts["would redrive"]++
			return nil
		}
		outcome, err := pipeline.Redrive(ctx, js, d)
		if err == nil && !f.keep {
			err = pipeline.ForgetDeadLetter(ctx, js, d.Seq)
		}
		if err != nil {
			errs = append(errs, err)
			counts["failed"]++
			fmt.Fprintf(w, "failed %d\t%s\t%v\n", d.Seq, d.Stage, err)
			return ctx.Err()
		}
		counts[string(outcome)]++
		fmt.Fprintf(w, "%s %d\t%s\t%s\t%s\n", outcome, d.Seq, d.Stage, d.Reason, d.Subject)
		return nil
	})
	parts := make([]string, 0, len(counts))
	for _, k := range []string{"would redrive", string(pipeline.Redriven), string(pipeline.Superseded), "failed"} {
		if counts[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, counts[k]))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "no dead letters selected")
	}
	fmt.Fprintln(w, strings.Join(parts, ", "))
	return errors.Join(append([]error{err}, errs...)...)
}

func total(counts map[string]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// seqList collects DLQ sequences from repeated or comma-separated values.
type seqList []uint64

func (l *seqList) String() string {
	s := make([]string, len(*l))
	for i, v := range *l {
		s[i] = strconv.FormatUint(v, 10)
	}
	return strings.Join(s, ",")
}

func (l *seqList) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil || n == 0 {
			return fmt.Errorf("%q is not a DLQ sequence", s)
		}
		*l = append(*l, n)
	}
	return nil
}
