package pgtest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// RequireEnv, when "1", turns a missing PostgreSQL into a test failure
// instead of a skip (CI sets it after installing PostgreSQL).
const RequireEnv = "V1SYNC_REQUIRE_POSTGRES"

// Database is the name of the database Start loads the v1 data into.
const Database = "v1"

// DB is a throwaway cluster with the v1 database loaded.
type DB struct {
	Cluster *Cluster
	// DSN connects to the v1 database as the superuser (no password).
	DSN  string
	Pool *pgxpool.Pool
}

type options struct {
	noSample bool
	settings map[string]string
}

// Option changes what Start sets up.
type Option func(*options)

// WithoutSample loads only the schema, no sample rows.
func WithoutSample() Option { return func(o *options) { o.noSample = true } }

// WithSettings overrides server settings (see DefaultSettings).
func WithSettings(s map[string]string) Option {
	return func(o *options) { o.settings = s }
}

// Start runs a cluster for the test, loads the v1 schema (and the sample rows
// unless WithoutSample), and removes everything when the test ends. Without
// PostgreSQL binaries it skips the test, or fails it when RequireEnv is set.
func Start(t testing.TB, opts ...Option) *DB {
	t.Helper()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if _, err := BinDir(); err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("%s is set: %v", RequireEnv, err)
		}
		t.Skip(err.Error())
	}
	dataDir, err := DataDir()
	if err != nil {
		t.Fatal(err)
	}
	// Not t.TempDir(): its parent is mode 0700, unreachable for the
	// unprivileged server user when the tests run as root.
	dir, err := os.MkdirTemp("", "v1sync-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	c, err := StartClusterWith(dir, o.settings)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Logf("pgtest: stop: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := c.LoadV1(ctx, Database, dataDir, !o.noSample); err != nil {
		t.Fatal(err)
	}
	db := &DB{Cluster: c, DSN: c.DSN(Database)}
	if db.Pool, err = pgxpool.New(context.Background(), db.DSN); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Pool.Close)
	return db
}

// Exec runs one statement (or, without args, several) or fails the test.
func (db *DB) Exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.Pool.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("pgtest: %s: %v", sql, err)
	}
}

// QueryValue scans the single value of a one-row query into dst or fails the test.
func (db *DB) QueryValue(t testing.TB, dst any, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := db.Pool.QueryRow(ctx, sql, args...).Scan(dst); err != nil {
		t.Fatalf("pgtest: %s: %v", sql, err)
	}
}
