package mapids

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

// row is one v1 row as stored in v1-objects: a flat map of column values.
type row map[string]any

// decodeRow parses a v1-objects value: JSON, or msgpack, which the prior
// art's writers use in production (every reader must accept both). JSON
// numbers stay json.Number so ids are never rounded through float64.
func decodeRow(data []byte) (row, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var r row
	jsonErr := dec.Decode(&r)
	if jsonErr != nil {
		var m map[string]any
		if err := msgpack.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("neither JSON (%v) nor msgpack (%v)", jsonErr, err)
		}
		r = fromMsgpack(m)
	}
	if r == nil {
		return nil, errors.New("value is null, want an object")
	}
	return r, nil
}

// fromMsgpack gives msgpack timestamps the string form JSON rows have, so
// the date and time rules read both encodings alike.
func fromMsgpack(m map[string]any) row {
	if m == nil {
		return nil
	}
	r := make(row, len(m))
	for k, v := range m {
		if t, ok := v.(time.Time); ok {
			v = t.UTC().Format(time.RFC3339Nano)
		}
		r[k] = v
	}
	return r
}

// str returns the column as a string; non-string values (NULL, bools) are "".
func (r row) str(col string) string {
	s, _ := r[col].(string)
	return s
}

// trimmed returns the column as a string without surrounding white space.
func (r row) trimmed(col string) string { return strings.TrimSpace(r.str(col)) }

// isString reports whether the column holds a string (possibly empty), as
// opposed to NULL or absent.
func (r row) isString(col string) bool {
	_, ok := r[col].(string)
	return ok
}

// boolean returns the column's value when it is a JSON boolean; NULL and
// absent columns are "not set", never false.
func (r row) boolean(col string) (value, ok bool) {
	value, ok = r[col].(bool)
	return value, ok
}
