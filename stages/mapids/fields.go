package mapids

import (
	"strings"
)

// object is a v2 request body under construction. A nil value is sent as
// JSON null: v1 owns the field and has no value for it (intent package doc).
type object map[string]any

// clearEmpty says how an object treats a v1 column without a value: true
// sends null (v1 owns the field: clear it in v2), false omits the field (v2
// keeps what it has). Projects and members are full replacements in the prior
// art; committees overlay present v1 values on the current v2 object.
type clearEmpty bool

const (
	clearMissing clearEmpty = true
	keepMissing  clearEmpty = false
)

type builder struct {
	obj   object
	clear clearEmpty
}

func newBuilder(c clearEmpty) *builder { return &builder{obj: object{}, clear: c} }

// set stores v when ok, else null or nothing depending on the builder.
func (b *builder) set(field string, v any, ok bool) {
	switch {
	case ok:
		b.obj[field] = v
	case bool(b.clear):
		b.obj[field] = nil
	}
}

// text stores s when it is non-empty.
func (b *builder) text(field, s string) { b.set(field, s, s != "") }

// url stores a cleaned URL when the value is a usable one.
func (b *builder) url(field, s string) {
	b.set(field, cleanURL(s), validURL(s))
}

// date stores the date part of a date or timestamp value.
func (b *builder) date(field, s string) {
	d := dateOnly(s)
	b.set(field, d, d != "")
}

// flag stores a v1 boolean column; NULL or absent is "not set", never false.
func (b *builder) flag(field string, r row, col string) {
	v, ok := r.boolean(col)
	b.set(field, v, ok)
}

// dateOnly is the prior art's date rule: the part before the first "T".
// Zone-less timestamps with a space ("2025-02-01 00:00:00") are cut at the
// space too, so both encodings of a date column give YYYY-MM-DD.
func dateOnly(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "T "); i >= 0 {
		s = s[:i]
	}
	return s
}

// validURL: non-empty after trimming and not the literal "nil" v1 stores.
func validURL(s string) bool {
	s = strings.TrimSpace(s)
	return s != "" && s != "nil"
}

// cleanURL trims and adds https:// when there is no http(s) scheme.
func cleanURL(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") {
		return s
	}
	return "https://" + s
}

// oneOf returns v when allowed lists it, else fallback.
func oneOf(v string, allowed map[string]bool, fallback string) string {
	if allowed[v] {
		return v
	}
	return fallback
}

// splitList splits a Salesforce multi-select value on ";" and trims each
// item. Empty items are dropped: v2 rejects "" as an enum item, and an empty
// picklist means "no value", not [""].
func splitList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ";") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
