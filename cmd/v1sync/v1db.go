package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/linuxfoundation/v1sync/stages/v1change"
	"github.com/linuxfoundation/v1sync/stages/v1users"
)

// The v1 database and its table set are one setting for everything that
// touches them (ingest, normalize, backfill; map and write for emails), so
// one Secret and one list configure a deployment.
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

// v1Emails opens the primary-email lookup (staff emails in the map stage,
// the token email in the write stage) when the v1 database is configured;
// without it those emails are left unset, as the log says. The result is
// an interface so that "none" stays nil in the stages' dependencies.
func v1Emails(d stageDeps) (emailDirectory, error) {
	dsn, err := v1DSN(d.Env, "")
	if err != nil {
		return nil, err
	}
	if dsn == "" {
		d.Log.Warn().Msgf("%s is not set: staff and token emails are left unset (v1 keeps primary emails in salesforce.alternate_email__c)", envV1DSN)
		return nil, nil
	}
	return v1users.Open(v1users.DefaultConfig(), dsn)
}

// emailDirectory is mapids.EmailDirectory and auth.EmailDirectory.
type emailDirectory interface {
	PrimaryEmail(ctx context.Context, userSFID string) (string, error)
}
