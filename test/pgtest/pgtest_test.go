package pgtest_test

import (
	"testing"

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
