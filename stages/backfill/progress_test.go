package backfill

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestBarShowsRowsRateAndETA(t *testing.T) {
	var out bytes.Buffer
	c := &clock{t: time.Unix(1000, 0)}
	b := NewBar(&out)
	b.now = c.now
	b.Table("salesforce.project__c", 100, 1100)
	c.t = c.t.Add(2 * time.Second)
	b.Advance(400) // 400 rows in 2 s: 200 rows/s, 600 left: 3 s
	got := out.String()
	last := got[strings.LastIndex(got, "\r"):]
	for _, want := range []string{"salesforce.project__c", "500/1100 rows", "200 rows/s", "ETA 3s", "[#############"} {
		if !strings.Contains(last, want) {
			t.Errorf("bar %q lacks %q", last, want)
		}
	}
	b.Finish()
	if !strings.HasSuffix(out.String(), "\n") {
		t.Error("Finish must end the line")
	}
}

func TestLogLinesAreThrottled(t *testing.T) {
	var out bytes.Buffer
	c := &clock{t: time.Unix(1000, 0)}
	l := NewLogLines(zerolog.New(&out), 5*time.Second)
	l.now = c.now
	l.Table("platform.community__c", 0, 1000)
	for range 10 {
		c.t = c.t.Add(time.Second)
		l.Advance(50)
	}
	l.Finish()
	lines := strings.Count(out.String(), "\n")
	// start, two interval lines (at 5 s and 10 s), done
	if lines != 4 || !strings.Contains(out.String(), `"rows":500`) {
		t.Errorf("%d lines:\n%s", lines, out.String())
	}
}
