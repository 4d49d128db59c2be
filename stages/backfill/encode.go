package backfill

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/linuxfoundation/v1sync/stages/v1change"
)

// encodeRead writes the READ event of a row as v1change.Event.Encode would,
// with the columns in table order. Encoding the row directly instead of
// through a map (which encoding/json sorts by key) halves a backfill's CPU
// per row.
func encodeRead(id, run string, t v1change.Table, readAt time.Time, cols []string, vals []any) ([]byte, error) {
	buf := make([]byte, 0, 256+64*len(cols))
	buf = append(buf, `{"id":`...)
	buf = appendString(buf, id)
	buf = append(buf, `,"schema":`...)
	buf = appendString(buf, t.Schema)
	buf = append(buf, `,"table":`...)
	buf = appendString(buf, t.Name)
	buf = append(buf, `,"action":"`+string(v1change.Read)+`","data":{`...)
	for i, c := range cols {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendString(buf, c)
		buf = append(buf, ':')
		var err error
		if buf, err = appendValue(buf, vals[i]); err != nil {
			return nil, err
		}
	}
	buf = append(buf, `},"commitTime":"`...)
	buf = readAt.AppendFormat(buf, time.RFC3339Nano)
	buf = append(buf, `","run":`...)
	buf = appendString(buf, run)
	return append(buf, '}'), nil
}

func appendValue(buf []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(buf, "null"...), nil
	case string:
		return appendString(buf, x), nil
	case bool:
		return strconv.AppendBool(buf, x), nil
	case int16:
		return strconv.AppendInt(buf, int64(x), 10), nil
	case int32:
		return strconv.AppendInt(buf, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(buf, x, 10), nil
	case time.Time:
		buf = append(buf, '"')
		buf = x.AppendFormat(buf, time.RFC3339Nano)
		return append(buf, '"'), nil
	}
	b, err := json.Marshal(v)
	return append(buf, b...), err
}

// appendString quotes s; plain printable ASCII is copied, anything else
// goes through encoding/json for its escaping and UTF-8 repair.
func appendString(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c >= utf8.RuneSelf {
			b, _ := json.Marshal(s)
			return append(buf, b...)
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}
