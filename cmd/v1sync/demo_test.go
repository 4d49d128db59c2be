package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/linuxfoundation/v1sync/test/pgtest"
)

// The README's first command: the whole chain from PostgreSQL to the v2
// simulator, ending with v1 and v2 in agreement and nothing left behind.
func TestDemoRunsAndV1MatchesV2(t *testing.T) {
	if _, err := pgtest.BinDir(); err != nil {
		if os.Getenv(pgtest.RequireEnv) == "1" {
			t.Fatalf("%s is set: %v", pgtest.RequireEnv, err)
		}
		t.Skip(err.Error())
	}
	// A temp dir of its own, so that another demo running on this machine
	// cannot look like a leftover; world-searchable, since PostgreSQL runs
	// unprivileged under it when the tests run as root.
	tmp, err := os.MkdirTemp("", "v1sync-demo-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(tmp) })
	if err := os.Chmod(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", tmp)
	before := demoTempDirs(t)
	c, out, errOut := testCLI(nil)
	// The bound is generous for a loaded test machine; the demo itself
	// aims at under a minute.
	err = c.dispatch(context.Background(), []string{"demo", "--timeout", "110s"})
	t.Logf("demo output:\n%s", out.String())
	if err != nil {
		t.Fatalf("demo: %v\nstderr:\n%s", err, errOut.String())
	}
	report := out.String()
	for _, entity := range []string{"project", "committee", "member"} {
		row := regexp.MustCompile(`(?m)^` + entity + `\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+match$`).FindStringSubmatch(report)
		if row == nil {
			t.Errorf("no matching v1/v2 row for %s", entity)
			continue
		}
		if row[3] == "0" {
			t.Errorf("%s: nothing synced: %s", entity, row[0])
		}
	}
	if !strings.Contains(report, "all reached v2") || !strings.Contains(report, "temp directories removed") {
		t.Errorf("report lacks the live phase or the cleanup line")
	}
	if after := demoTempDirs(t); len(after) > len(before) {
		t.Errorf("temp directories left behind: %v", after)
	}
}

func TestDemoWithoutPostgresSaysHowToInstall(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	if _, err := pgtest.BinDir(); err == nil {
		t.Skip("PostgreSQL binaries found outside PATH; cannot simulate their absence")
	}
	c, _, errOut := testCLI(nil)
	if err := c.dispatch(context.Background(), []string{"demo"}); err == nil {
		t.Fatal("demo without PostgreSQL succeeded")
	}
	if !strings.Contains(errOut.String(), "apt-get install -y postgresql") {
		t.Fatalf("stderr lacks the install hint: %q", errOut.String())
	}
}

func demoTempDirs(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, pat := range []string{"v1sync-demo-nats-*", "v1sync-demo-pg-*"} {
		m, err := filepath.Glob(filepath.Join(os.TempDir(), pat))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m...)
	}
	return out
}
