package normalize

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"github.com/linuxfoundation/v1sync/stages/v1change"
)

// Metadata fields the prior art adds to every v1-objects value; readers of
// the bucket (other LFX One services) depend on them.
const (
	fieldExtractedAt = "_sdc_extracted_at"
	fieldReceivedAt  = "_sdc_received_at"
	fieldDeletedAt   = "_sdc_deleted_at"
	metadataPrefix   = "_sdc_"
)

// legacyTombstone is what old versions wrote into v1-objects for a deleted row.
const legacyTombstone = "!del"

// stored is the current state of a key in v1-objects.
type stored struct {
	exists bool
	rev    uint64
	// row is nil when the value is empty or undecodable: such a value is
	// overwritten, never allowed to wedge the key.
	row     map[string]any
	deleted bool
}

// decodeStored interprets a stored value.
func decodeStored(rev uint64, value []byte) stored {
	s := stored{exists: true, rev: rev}
	if string(bytes.TrimSpace(value)) == legacyTombstone {
		s.deleted = true
		return s
	}
	var row map[string]any
	if err := json.Unmarshal(value, &row); err != nil || row == nil {
		row, _ = decodeMsgpackRow(value)
	}
	if row != nil {
		s.row = row
		s.deleted = softDeleted(row)
	}
	return s
}

// softDeleted reports the prior art's deletion marker: _sdc_deleted_at
// present and neither null nor empty (§1.1).
func softDeleted(row map[string]any) bool {
	v, ok := row[fieldDeletedAt]
	if !ok || v == nil {
		return false
	}
	s, isString := v.(string)
	return !isString || s != ""
}

// verdict is what normalize does with one change.
type verdict string

const (
	write           verdict = "written"
	skipDeleted     verdict = "skipped-deleted"
	skipNotNewer    verdict = "skipped-not-newer"
	skipUnchanged   verdict = "skipped-unchanged"
	skipNoKey       verdict = "skipped-no-key"
	skipWasDeleted  verdict = "skipped-already-deleted"
	ackTruncate     verdict = "truncate-ignored"
	deleteRecovered verdict = "delete-recovered"
	casConflict     verdict = "cas-conflict"
	// staleGuess: a write against the key's remembered state lost its CAS;
	// the change is then decided on a fresh read.
	staleGuess verdict = "cas-conflict-unread"
)

// upsertVerdict applies the rules for INSERT, UPDATE and backfill READ.
// Once timestamps are compared as instants, the loader's race rules and the
// live rules coincide: a deleted row is never resurrected, a row lands only
// when newer, and rows without a usable timestamp land only when their
// content differs (so repeated backfills do not spam downstream).
func upsertVerdict(t v1change.Table, incoming map[string]any, cur stored) verdict {
	switch {
	case cur.deleted:
		return skipDeleted
	case cur.row == nil:
		return write
	}
	switch compareVersions(incoming, cur.row, t.TimestampColumns) {
	case newer:
		return write
	case notNewer:
		return skipNotNewer
	}
	if sameContent(incoming, cur.row) {
		return skipUnchanged
	}
	return write
}

// sameContent compares two rows ignoring the _sdc_* metadata.
func sameContent(a, b map[string]any) bool {
	ja, errA := json.Marshal(withoutMetadata(a))
	jb, errB := json.Marshal(withoutMetadata(b))
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}

func withoutMetadata(row map[string]any) map[string]any {
	out := make(map[string]any, len(row))
	for k, v := range row {
		if !strings.HasPrefix(k, metadataPrefix) {
			out[k] = v
		}
	}
	return out
}

// incomingRow is the event's row ready to compare and store: metadata from
// the source is dropped (a source cannot mark a row deleted by sending
// _sdc_deleted_at), and unchanged TOASTed columns take the stored value.
// A TOASTed column with no stored value is left out rather than nulled.
func incomingRow(ev v1change.Event, cur stored) map[string]any {
	row := withoutMetadata(ev.Data)
	for _, col := range ev.UnchangedToast {
		if v, ok := cur.row[col]; ok {
			row[col] = v
		} else {
			delete(row, col)
		}
	}
	return row
}

// deletedRow is the value a DELETE writes: the stored row, or when the key
// holds nothing usable the event's old image (the prior art dropped such a
// delete), stamped with _sdc_deleted_at.
func deletedRow(t v1change.Table, ev v1change.Event, id string, cur stored) (map[string]any, verdict) {
	if cur.deleted {
		return nil, skipWasDeleted
	}
	if cur.row != nil {
		return cloneRow(cur.row), write
	}
	row := withoutMetadata(ev.DataOld)
	row[t.KeyColumn] = id
	return row, deleteRecovered
}

func cloneRow(row map[string]any) map[string]any {
	out := make(map[string]any, len(row)+3)
	for k, v := range row {
		out[k] = v
	}
	return out
}

// commitStamp is the change's commit time as the prior art wrote it
// (wal-listener's RFC3339Nano in UTC); a source without one gets now.
func commitStamp(ev v1change.Event, now time.Time) string {
	t := ev.CommitTime
	if t.IsZero() {
		t = now
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// stamp adds the metadata of a write.
func stamp(row map[string]any, ev v1change.Event, now time.Time) {
	row[fieldExtractedAt] = commitStamp(ev, now)
	row[fieldReceivedAt] = now.UTC().Format(time.RFC3339)
	if ev.Action == v1change.Delete {
		row[fieldDeletedAt] = commitStamp(ev, now)
	}
}
