package mapids

import (
	"strings"
	"time"
)

// softDeleted reports the two soft-delete markers of a v1 row: a non-empty
// _sdc_deleted_at (set by capture on a v1 DELETE) and Salesforce's
// isdeleted = true.
func softDeleted(r row) bool {
	if v, ok := r["_sdc_deleted_at"]; ok && v != nil && v != "" {
		return true
	}
	deleted, ok := r.boolean("isdeleted")
	return ok && deleted
}

// loopGuarded: the row was last written by v1sync's own v1 client, so it is
// the echo of a v2 -> v1 write and must not travel back to v2.
func (c Config) loopGuarded(r row) bool {
	return r.str("lastmodifiedbyid") == c.loopGuardAuthor()
}

// principalOf is the v1 principal to impersonate for a change of r
// ("" = the service principal), after the prior art's extractV1Principal.
// A row removed by a v1 DELETE carries the last editor, not the deleter, so
// the editor is used only when the edit and the delete are within a second
// of each other (the delete very likely was that edit). A Salesforce
// isdeleted flag is itself an edit: its lastmodifiedbyid is the deleter.
func principalOf(r row) string {
	author := r.str("lastmodifiedbyid")
	if author == "" {
		return ""
	}
	deletedAt, ok := r["_sdc_deleted_at"]
	if !ok || deletedAt == nil || deletedAt == "" {
		return author
	}
	modified, err1 := parseV1Time(r.str("lastmodifieddate"))
	deleted, err2 := parseV1Time(r.str("_sdc_deleted_at"))
	if err1 != nil || err2 != nil {
		return ""
	}
	if d := deleted.Sub(modified); d <= time.Second && d >= -time.Second {
		return author
	}
	return ""
}

// v1TimeLayouts are the encodings v1 timestamps arrive in: RFC 3339 from the
// capture path, and zone-less values (meant as UTC) from Heroku Connect's
// "timestamp without time zone" columns.
var v1TimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z07",
	"2006-01-02 15:04:05.999999999",
}

// parseV1Time parses a v1 timestamp; zone-less values are UTC.
func parseV1Time(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	var err error
	for _, layout := range v1TimeLayouts {
		var t time.Time
		if t, err = time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, err
}
