// Package pgtest runs a throwaway PostgreSQL cluster (initdb + pg_ctl from the
// system's binaries) with logical replication enabled, loaded with the shared
// v1 schema and sample rows. Tests use Start; the demo uses StartCluster.
package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// InstallHint tells a developer how to get the binaries the helper needs.
const InstallHint = "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in /usr/lib/postgresql/*/bin; install them with `apt-get install -y postgresql`"

// ErrNoBinaries is returned by StartCluster when initdb/pg_ctl are missing.
var ErrNoBinaries = errors.New(InstallHint)

// Superuser is the cluster's bootstrap role; it authenticates with trust over
// loopback and the unix socket only.
const Superuser = "postgres"

// Cluster is a running throwaway PostgreSQL server.
type Cluster struct {
	// Dir holds the data directory, the socket directory and the server log.
	Dir  string
	Port int
	// Settings are the server settings it was started with.
	Settings map[string]string

	binDir string
	cred   *syscall.Credential
}

// DefaultSettings enable logical replication with room for the slots and
// senders of several stages and tests. fsync is off: the cluster is
// throwaway, and the durability under test is JetStream's, not PostgreSQL's.
// synchronous_commit stays on: the walsender only decodes flushed WAL, so an
// asynchronous commit would add up to wal_writer_delay to capture latency.
func DefaultSettings() map[string]string {
	return map[string]string{
		"wal_level":             "logical",
		"max_replication_slots": "20",
		"max_wal_senders":       "20",
		"max_connections":       "100",
		"fsync":                 "off",
		"full_page_writes":      "off",
		"listen_addresses":      "127.0.0.1",
		"log_min_messages":      "warning",
	}
}

// BinDir finds the directory holding initdb and pg_ctl: PATH first, then the
// newest /usr/lib/postgresql/<version>/bin.
func BinDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "pg_ctl")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", ErrNoBinaries
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// StartCluster initialises a cluster in dir (created if missing) and starts it
// on a free loopback port. As root, the server runs as the unprivileged user
// "nobody" (PostgreSQL refuses root) and dir is chowned to it, so dir's parent
// directories must be searchable by that user (os.TempDir() is).
func StartCluster(dir string) (*Cluster, error) {
	return StartClusterWith(dir, nil)
}

// StartClusterWith is StartCluster with extra server settings that override
// DefaultSettings.
func StartClusterWith(dir string, settings map[string]string) (*Cluster, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, binDir: bin, Settings: DefaultSettings()}
	for k, v := range settings {
		c.Settings[k] = v
	}
	if err := c.prepareDir(); err != nil {
		return nil, err
	}
	if err := c.initdb(); err != nil {
		return nil, err
	}
	// A free port can be taken between probing and binding; retry a few times.
	for attempt := 0; ; attempt++ {
		if c.Port, err = freePort(); err != nil {
			return nil, err
		}
		if err = c.start(); err == nil {
			return c, nil
		}
		if attempt == 4 {
			return nil, err
		}
	}
}

func (c *Cluster) dataDir() string   { return filepath.Join(c.Dir, "data") }
func (c *Cluster) socketDir() string { return filepath.Join(c.Dir, "sock") }

// LogFile is the server's log, worth reading when a test fails.
func (c *Cluster) LogFile() string { return filepath.Join(c.Dir, "postgres.log") }

func (c *Cluster) prepareDir() error {
	for _, d := range []string{c.Dir, c.socketDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("pgtest: %w", err)
		}
	}
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		return fmt.Errorf("pgtest: running as root needs an unprivileged user: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	if err := searchableByOthers(filepath.Dir(c.Dir)); err != nil {
		return err
	}
	return filepath.Walk(c.Dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}

// searchableByOthers checks that the unprivileged server user can reach dir.
func searchableByOthers(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	for d := abs; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("pgtest: %w", err)
		}
		if fi.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("pgtest: %s is not searchable by the unprivileged server user; put the cluster (or TMPDIR) under a world-searchable directory such as /tmp", d)
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

func (c *Cluster) initdb() error {
	return c.run("initdb", "-D", c.dataDir(), "-U", Superuser, "--auth=trust",
		"--encoding=UTF8", "--locale=C", "--no-sync")
}

func (c *Cluster) start() error {
	opts := []string{"-p " + strconv.Itoa(c.Port), "-k " + c.socketDir()}
	keys := make([]string, 0, len(c.Settings))
	for k := range c.Settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		opts = append(opts, "-c "+k+"="+c.Settings[k])
	}
	err := c.run("pg_ctl", "start", "-w", "-t", "60", "-D", c.dataDir(), "-l", c.LogFile(),
		"-o", strings.Join(opts, " "))
	if err != nil {
		log, _ := os.ReadFile(c.LogFile())
		return fmt.Errorf("%w\nserver log:\n%s", err, tail(log, 2000))
	}
	return nil
}

// Stop shuts the server down (fast mode: open sessions are disconnected). It
// leaves Dir in place; the caller owns it.
func (c *Cluster) Stop() error {
	return c.run("pg_ctl", "stop", "-w", "-t", "60", "-m", "fast", "-D", c.dataDir())
}

func (c *Cluster) run(name string, args ...string) error {
	cmd := exec.Command(filepath.Join(c.binDir, name), args...)
	cmd.Dir = c.Dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pgtest: %s %s: %w\n%s", name, args[0], err, tail(out.Bytes(), 2000))
	}
	return nil
}

// DSN is a libpq URL for database db as the superuser over loopback TCP.
func (c *Cluster) DSN(db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", Superuser, c.Port, db)
}

// CreateDatabase creates database name (it must not exist).
func (c *Cluster) CreateDatabase(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, c.DSN("postgres"))
	if err != nil {
		return fmt.Errorf("pgtest: connect: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("pgtest: create database %s: %w", name, err)
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// waitReady polls until the server accepts connections to db.
func (c *Cluster) waitReady(ctx context.Context, db string) error {
	for {
		conn, err := pgx.Connect(ctx, c.DSN(db))
		if err == nil {
			return conn.Close(ctx)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pgtest: server not ready: %w", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
