package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/linuxfoundation/v1sync/stages/v1change"
)

// The v1 database and its table set are one setting for everything that
// touches them (ingest, normalize, backfill), so one Secret and one list
// configure a deployment.
const (
	envV1DSN     = "V1SYNC_PG_DSN"      // secret: never logged, never a flag
	envV1DSNFile = "V1SYNC_PG_DSN_FILE" // a file holding the DSN (a mounted Secret)
	envV1Tables  = "V1SYNC_TABLES"      // see parseTableSet
)

// v1DSN reads the connection string from file (a flag), else the file named
// by V1SYNC_PG_DSN_FILE, else V1SYNC_PG_DSN; "" when none is set. Errors
// name the file, never its content.
func v1DSN(getenv func(string) string, file string) (string, error) {
	if file == "" {
		file = getenv(envV1DSNFile)
	}
	if file == "" {
		return getenv(envV1DSN), nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("read v1 database connection string: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// v1Tables reads the table set from v, else from V1SYNC_TABLES; the
// default set when both are empty.
func v1Tables(getenv func(string) string, v string) ([]v1change.Table, error) {
	name := "--tables"
	if strings.TrimSpace(v) == "" {
		v, name = getenv(envV1Tables), envV1Tables
	}
	tables, err := parseTableSet(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if tables == nil {
		tables = v1change.DefaultTables()
	}
	return tables, nil
}

// parseTableSet reads a table set (v1change.ParseTableSpecs: known
// schema.table names, or new tables with their key, primary key and
// timestamp columns); empty means the default set (nil).
func parseTableSet(v string) ([]v1change.Table, error) {
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	return v1change.ParseTableSpecs(v, v1change.DefaultTables())
}
