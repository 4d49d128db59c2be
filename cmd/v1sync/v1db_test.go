package main

import (
	"context"
	"strings"
	"testing"

	"github.com/linuxfoundation/v1sync/test/pgtest"
)

func TestV1EmailsComeFromTheV1Database(t *testing.T) {
	settings := map[string]string{}
	d := stageDeps{Env: func(k string) string { return settings[k] }}
	if e, err := v1Emails(d); err != nil || e != nil {
		t.Fatalf("without a database: got %v, %v; want no lookup and no error", e, err)
	}
	settings[envV1DSN] = "postgres://sync:hunter2@%zz/v1"
	if _, err := v1Emails(d); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("a bad DSN: got %v; want an error that does not echo it", err)
	}
	pg := pgtest.Start(t)
	settings[envV1DSN] = pg.DSN
	e, err := v1Emails(d)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := e.PrimaryEmail(context.Background(), "0035e000007K2QUAA0"); err != nil || got != "avery.stone@example.com" {
		t.Errorf("primary email: got %q, %v", got, err)
	}
}
