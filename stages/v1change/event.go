// Package v1change is the change event on V1_CHANGES, written by every v1
// source (native WAL capture, the wal-listener bridge, backfill) and read by
// the normalize stage. Field names follow wal-listener's events so that both
// sources decode the same way.
package v1change

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Action is what happened to the row.
type Action string

const (
	Insert   Action = "INSERT"
	Update   Action = "UPDATE"
	Delete   Action = "DELETE"
	Truncate Action = "TRUNCATE"
	// Read is a row read by a backfill; it follows the loader's race rules
	// rather than last-writer-wins.
	Read Action = "READ"
)

// Event is one row change.
type Event struct {
	// ID is unique per change and deterministic per source: the same change
	// captured twice has the same ID (it is also the Nats-Msg-Id).
	ID     string `json:"id"`
	Schema string `json:"schema"`
	Table  string `json:"table"`
	Action Action `json:"action"`
	// Data is the new row (INSERT, UPDATE, READ).
	Data map[string]any `json:"data,omitempty"`
	// DataOld is the old row or its replica identity (UPDATE, DELETE).
	DataOld map[string]any `json:"dataOld,omitempty"`
	// CommitTime is when the source transaction committed (for READ, when
	// the row was read).
	CommitTime time.Time `json:"commitTime"`

	// LSN is the commit LSN of the source transaction (native capture only).
	LSN string `json:"lsn,omitempty"`
	// UnchangedToast names columns whose TOASTed value did not change and
	// was not sent: the stored value must be kept, never nulled.
	UnchangedToast []string `json:"unchangedToast,omitempty"`
	// Key is the v1-objects key of the row when the source knows it; a
	// DELETE under the default replica identity carries only the primary
	// key, so capture resolves the key and records it here.
	Key string `json:"key,omitempty"`
	// Run identifies the backfill run of a READ.
	Run string `json:"run,omitempty"`
}

// Validate reports an event normalize cannot apply.
func (e Event) Validate() error {
	if e.Schema == "" || e.Table == "" {
		return fmt.Errorf("v1 change %q: schema and table are required", e.ID)
	}
	switch e.Action {
	case Insert, Update, Read:
		if e.Data == nil {
			return fmt.Errorf("v1 change %q on %s.%s: %s without data", e.ID, e.Schema, e.Table, e.Action)
		}
	case Delete, Truncate:
	default:
		return fmt.Errorf("v1 change %q on %s.%s: unknown action %q", e.ID, e.Schema, e.Table, e.Action)
	}
	return nil
}

// Decode parses and validates an event; the action is upper-cased as the
// prior art did.
func Decode(data []byte) (Event, error) {
	var e Event
	if err := json.Unmarshal(data, &e); err != nil {
		return Event{}, fmt.Errorf("v1 change: %w", err)
	}
	e.Action = Action(strings.ToUpper(string(e.Action)))
	return e, e.Validate()
}

// Encode serialises the event.
func (e Event) Encode() ([]byte, error) { return json.Marshal(e) }

// ObjectKey is the v1-objects key of a row: "<schema>-<table>.<id>".
func ObjectKey(schema, table, id string) string { return schema + "-" + table + "." + id }

// SplitObjectKey returns the prefix and id of a v1-objects key: everything
// before and after the first dot.
func SplitObjectKey(key string) (prefix, id string) {
	if i := strings.IndexByte(key, '.'); i >= 0 {
		return key[:i], key[i+1:]
	}
	return key, ""
}
