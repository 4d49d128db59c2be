package main

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeDocumentsSettings keeps the README's configuration tables in
// step with the code: every V1SYNC_ variable this package reads, every run
// and provision flag, and every subcommand must appear in README.md.
func TestReadmeDocumentsSettings(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, v := range envLiterals(t) {
		if !strings.Contains(readme, "`"+v+"`") {
			t.Errorf("README.md does not document %s", v)
		}
	}
	fs := flag.NewFlagSet("docs", flag.ContinueOnError)
	var ro runOptions
	ro.register(fs)
	fs.Var(new(stageList), "group-stages", "")
	fs.VisitAll(func(f *flag.Flag) {
		if !strings.Contains(readme, "`--"+f.Name+"`") || !strings.Contains(readme, "`"+envName(f.Name)+"`") {
			t.Errorf("README.md configuration table lacks --%s / %s", f.Name, envName(f.Name))
		}
	})
	for _, name := range commandNames() {
		if !strings.Contains(readme, "v1sync "+name) {
			t.Errorf("README.md never mentions v1sync %s", name)
		}
	}
}

// envLiterals returns the V1SYNC_ variable names quoted in this package's
// non-test sources.
func envLiterals(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`"(V1SYNC_[A-Z0-9_]+)"`)
	seen := map[string]bool{}
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			if !seen[m[1]] {
				seen[m[1]] = true
				out = append(out, m[1])
			}
		}
	}
	return out
}
