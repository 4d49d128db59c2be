package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/jackc/pgx/v5"
)

// Shared data files, relative to the data directory.
const (
	SchemaFile = "v1-schema.sql"
	SampleFile = "v1-sample.sql"
)

// DataDir finds the v1 data: the repository's copy (test/v1data) first, else
// ../shared/data beside the module root, walking up from the working
// directory (tests run in their package directory).
func DataDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if repo := filepath.Join(dir, "test", "v1data"); fileExists(filepath.Join(repo, SchemaFile)) {
				return repo, nil
			}
			data := filepath.Join(filepath.Dir(dir), "shared", "data")
			if _, err := os.Stat(filepath.Join(data, SchemaFile)); err != nil {
				return "", fmt.Errorf("pgtest: v1 schema not found at %s (shared/ must sit beside the module)", data)
			}
			return data, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("pgtest: module root (go.mod) not found above the working directory")
		}
		dir = parent
	}
}

// LoadFiles executes each SQL file as one multi-statement string over the
// simple query protocol (the shared files use no psql meta-commands).
func LoadFiles(ctx context.Context, dsn string, files ...string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("pgtest: connect: %w", err)
	}
	defer conn.Close(ctx)
	for _, f := range files {
		sql, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("pgtest: %w", err)
		}
		if _, err := conn.Exec(ctx, string(sql)); err != nil {
			return fmt.Errorf("pgtest: load %s: %w", filepath.Base(f), err)
		}
	}
	return nil
}

// LoadV1 creates database db in the cluster and loads the v1 schema and,
// when sample is true, the sample rows.
func (c *Cluster) LoadV1(ctx context.Context, db, dataDir string, sample bool) error {
	if err := c.waitReady(ctx, "postgres"); err != nil {
		return err
	}
	if err := c.CreateDatabase(ctx, db); err != nil {
		return err
	}
	files := []string{filepath.Join(dataDir, SchemaFile)}
	if sample {
		files = append(files, filepath.Join(dataDir, SampleFile))
	}
	return LoadFiles(ctx, c.DSN(db), files...)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
