// Package v1data holds the shared v1 test data: the schema of the captured
// v1 tables and deterministic sample rows (README.md lists which rows
// exercise which rule). It is embedded so the demo runs from any directory;
// pgtest loads the same files from this directory.
package v1data

import _ "embed"

// File names, relative to this package's directory.
const (
	SchemaFile = "v1-schema.sql"
	SampleFile = "v1-sample.sql"
)

// Schema creates the schemas and tables (no data).
//
//go:embed v1-schema.sql
var Schema string

// Sample inserts the sample rows in one transaction, parents first.
//
//go:embed v1-sample.sql
var Sample string
