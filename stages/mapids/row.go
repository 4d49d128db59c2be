package mapids

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
)

// row is one v1 row as stored in v1-objects: a flat map of column values.
type row map[string]any

// decodeRow parses a v1-objects value. Numbers stay json.Number so ids and
// amounts are never rounded through float64.
func decodeRow(data []byte) (row, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var r row
	if err := dec.Decode(&r); err != nil {
		return nil, err
	}
	if r == nil {
		return nil, errors.New("value is JSON null, want an object")
	}
	return r, nil
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
