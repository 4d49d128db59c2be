package v1change

import (
	"errors"
	"fmt"
	"strings"
)

// ParseTableSpecs reads a table set from configuration: a comma-separated
// list of "schema.table" items, each optionally followed by settings:
//
//	schema.table[:key=<column>][:pk=<column>][:ts=<column>[+<column>...]]
//
// A known table starts from its settings in known and the given ones
// override them; any other table needs at least key= (pk defaults to "id";
// without ts= normalize compares content and backfill reads it in full).
// Example: "salesforce.project__c,platform.organization_workspace:key=id:ts=updated_at".
func ParseTableSpecs(spec string, known []Table) ([]Table, error) {
	var out []Table
	var errs []error
	seen := map[string]bool{}
	for _, item := range strings.Split(spec, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		t, err := parseTableSpec(item, known)
		switch {
		case err != nil:
			errs = append(errs, err)
		case seen[t.QualifiedName()]:
			errs = append(errs, fmt.Errorf("table %s listed twice", t.QualifiedName()))
		default:
			seen[t.QualifiedName()] = true
			out = append(out, t)
		}
	}
	if len(out) == 0 && len(errs) == 0 {
		errs = append(errs, errors.New("empty table set"))
	}
	return out, errors.Join(errs...)
}

func parseTableSpec(item string, known []Table) (Table, error) {
	parts := strings.Split(item, ":")
	schema, name, ok := strings.Cut(parts[0], ".")
	if !ok || schema == "" || name == "" {
		return Table{}, fmt.Errorf("table %q: want schema.table", parts[0])
	}
	t, isKnown := Find(known, schema, name)
	if !isKnown {
		t = Table{Schema: schema, Name: name, PrimaryKey: "id"}
	}
	for _, setting := range parts[1:] {
		k, v, _ := strings.Cut(setting, "=")
		if v == "" {
			return Table{}, fmt.Errorf("table %s: setting %q: want key=value", parts[0], setting)
		}
		switch k {
		case "key":
			t.KeyColumn = v
		case "pk":
			t.PrimaryKey = v
		case "ts":
			t.TimestampColumns = strings.Split(v, "+")
		default:
			return Table{}, fmt.Errorf("table %s: unknown setting %q (key, pk, ts)", parts[0], k)
		}
	}
	if t.KeyColumn == "" {
		return Table{}, fmt.Errorf("table %s is not a known table: give its key column (%s:key=<column>)", parts[0], parts[0])
	}
	return t, nil
}
