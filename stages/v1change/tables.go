package v1change

import (
	"errors"
	"fmt"
	"strings"
)

// Table is one captured v1 table: configuration, not code.
type Table struct {
	Schema string
	Name   string
	// KeyColumn holds the id used in the v1-objects key (sfid for the
	// Salesforce tables).
	KeyColumn string
	// PrimaryKey is the table's primary key column, all a DELETE carries
	// under the default replica identity.
	PrimaryKey string
	// TimestampColumns decide last-writer-wins and the backfill bookmark; a
	// table without any falls back to content comparison.
	TimestampColumns []string
}

// Prefix is the v1-objects key prefix of the table.
func (t Table) Prefix() string { return t.Schema + "-" + t.Name }

// QualifiedName is "schema.table".
func (t Table) QualifiedName() string { return t.Schema + "." + t.Name }

// DefaultTables is the table set the prior art captured.
func DefaultTables() []Table {
	sf := func(schema, name string, ts ...string) Table {
		return Table{Schema: schema, Name: name, KeyColumn: "sfid", PrimaryKey: "id", TimestampColumns: ts}
	}
	return []Table{
		sf("salesforce", "project__c", "systemmodstamp", "lastmodifieddate"),
		sf("platform", "collaboration__c", "systemmodstamp", "lastmodifieddate"),
		sf("platform", "community__c", "systemmodstamp", "lastmodifieddate"),
		sf("salesforce", "merged_user", "lastmodifieddate"),
		sf("salesforce", "alternate_email__c", "systemmodstamp", "lastmodifieddate"),
	}
}

// ParseTables reads "schema.table" names and picks their settings from
// known; an unknown name is an error listing the known ones.
func ParseTables(names []string, known []Table) ([]Table, error) {
	byName := make(map[string]Table, len(known))
	all := make([]string, 0, len(known))
	for _, t := range known {
		byName[t.QualifiedName()] = t
		all = append(all, t.QualifiedName())
	}
	var out []Table
	var errs []error
	for _, n := range names {
		t, ok := byName[strings.TrimSpace(n)]
		if !ok {
			errs = append(errs, fmt.Errorf("unknown table %q (known: %s)", n, strings.Join(all, ", ")))
			continue
		}
		out = append(out, t)
	}
	return out, errors.Join(errs...)
}

// Find returns the table with the given schema and name.
func Find(tables []Table, schema, name string) (Table, bool) {
	for _, t := range tables {
		if t.Schema == schema && t.Name == name {
			return t, true
		}
	}
	return Table{}, false
}
