package pgtest_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/linuxfoundation/v1sync/test/pgtest"
)

func TestStartLoadsSampleWithLogicalWAL(t *testing.T) {
	db := pgtest.Start(t)
	var n int
	db.QueryValue(t, &n, "SELECT count(*) FROM salesforce.project__c")
	if n != 45 {
		t.Fatalf("project__c rows = %d, want 45", n)
	}
	var level string
	db.QueryValue(t, &level, "SHOW wal_level")
	if level != "logical" {
		t.Fatalf("wal_level = %q", level)
	}
	db.Exec(t, "SELECT pg_create_logical_replication_slot('pgtest_probe', 'pgoutput')")
}

func TestStartWithoutSample(t *testing.T) {
	db := pgtest.Start(t, pgtest.WithoutSample())
	var n int
	db.QueryValue(t, &n, "SELECT count(*) FROM salesforce.merged_user")
	if n != 0 {
		t.Fatalf("merged_user rows = %d, want 0", n)
	}
}

func TestStartClusterForTheDemo(t *testing.T) {
	if _, err := pgtest.BinDir(); err != nil {
		t.Skip(err)
	}
	if os.Geteuid() == 0 {
		// t.TempDir's parent is 0700: the unprivileged server user cannot
		// reach it, and the helper must say so rather than fail obscurely.
		_, err := pgtest.StartCluster(filepath.Join(t.TempDir(), "pg"))
		if err == nil || !strings.Contains(err.Error(), "not searchable") {
			t.Fatalf("StartCluster under a 0700 directory: %v", err)
		}
	}
	dir, err := os.MkdirTemp("", "v1sync-pg-demo-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	c, err := pgtest.StartCluster(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := c.Stop(); err != nil {
			t.Error(err)
		}
	}()
	data, err := pgtest.DataDir()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.LoadV1(ctx, "demo", data, false); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, c.DSN("demo"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM salesforce.project__c`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("schema without sample: %d rows, %v", n, err)
	}
}
