package normalize

import (
	"fmt"
	"strings"
	"time"
)

// timestampLayouts are the forms v1 timestamps reach us in: wal-listener's
// RFC3339Nano, tap-postgres's "+00:00" offsets, Heroku Connect's zone-less
// `timestamp without time zone` (with T or PostgreSQL's space), and
// PostgreSQL's short "+00" offset. Fractions are optional in every layout.
var timestampLayouts = []string{
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z07",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999Z07",
}

// parseTimestamp reads a row's timestamp value. Zone-less values are UTC
// (Heroku Connect stores UTC in `timestamp without time zone`).
func parseTimestamp(v any) (time.Time, bool) {
	if v == nil {
		return time.Time{}, false
	}
	s := strings.TrimSpace(fmt.Sprint(v))
	for _, layout := range timestampLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// order is how an incoming row's version relates to the stored one.
type order int

const (
	// unversioned: the incoming row has no parseable timestamp, so only its
	// content can tell whether it differs.
	unversioned order = iota
	newer
	notNewer
)

// compareVersions decides by the table's timestamp columns, comparing
// parsed instants (the loader compared strings, which misorders mixed
// formats). The incoming row is newer when any column is later than the
// stored one, or when it has a timestamp and the stored row has none.
func compareVersions(incoming, stored map[string]any, columns []string) order {
	anyIncoming, anyStored := false, false
	for _, c := range columns {
		in, okIn := parseTimestamp(incoming[c])
		st, okSt := parseTimestamp(stored[c])
		anyIncoming = anyIncoming || okIn
		anyStored = anyStored || okSt
		if okIn && okSt && in.After(st) {
			return newer
		}
	}
	switch {
	case !anyIncoming:
		return unversioned
	case !anyStored:
		return newer
	default:
		return notNewer
	}
}
