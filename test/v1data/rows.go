package v1data

import (
	"fmt"
	"strings"
)

// Row is one sample row as normalize stores it in v1-objects: column name
// to value, where values are strings, booleans or nil (dates and
// timestamps stay the strings the sample writes).
type Row map[string]any

// Clone returns a copy that can be changed without touching the sample.
func (r Row) Clone() Row {
	c := make(Row, len(r))
	for k, v := range r {
		c[k] = v
	}
	return c
}

// Rows parses Sample: table ("schema.table") → sfid → row. The sample uses
// only string literals (quotes escaped by doubling), NULL, true and false, and
// "-- " comments between tuples; anything else is an error.
func Rows() (map[string]map[string]Row, error) {
	out := map[string]map[string]Row{}
	src := Sample
	for {
		i := strings.Index(src, "INSERT INTO ")
		if i < 0 {
			return out, nil
		}
		src = src[i+len("INSERT INTO "):]
		table := strings.Fields(src)[0]
		cols, rest, err := columns(src)
		if err != nil {
			return nil, fmt.Errorf("v1data: %s: %w", table, err)
		}
		rows, rest, err := tuples(rest, cols)
		if err != nil {
			return nil, fmt.Errorf("v1data: %s: %w", table, err)
		}
		if out[table] == nil {
			out[table] = map[string]Row{}
		}
		for _, r := range rows {
			sfid, _ := r["sfid"].(string)
			out[table][sfid] = r
		}
		src = rest
	}
}

func columns(src string) ([]string, string, error) {
	open, closing := strings.IndexByte(src, '('), strings.IndexByte(src, ')')
	if open < 0 || closing < open {
		return nil, "", fmt.Errorf("no column list")
	}
	cols := strings.Split(src[open+1:closing], ",")
	for i := range cols {
		cols[i] = strings.TrimSpace(cols[i])
	}
	v := strings.Index(src, "VALUES")
	if v < 0 {
		return nil, "", fmt.Errorf("no VALUES")
	}
	return cols, src[v+len("VALUES"):], nil
}

// tuples reads "(...), (...);" and returns the rest after the semicolon.
func tuples(src string, cols []string) ([]Row, string, error) {
	var rows []Row
	for {
		src = skipSpaceAndComments(src)
		if src == "" {
			return nil, "", fmt.Errorf("unterminated VALUES")
		}
		switch src[0] {
		case ';':
			return rows, src[1:], nil
		case ',':
			src = src[1:]
			continue
		case '(':
		default:
			return nil, "", fmt.Errorf("unexpected %q", src[:min(20, len(src))])
		}
		vals, rest, err := tuple(src[1:])
		if err != nil {
			return nil, "", err
		}
		if len(vals) != len(cols) {
			return nil, "", fmt.Errorf("%d values for %d columns", len(vals), len(cols))
		}
		r := make(Row, len(cols))
		for i, c := range cols {
			r[c] = vals[i]
		}
		rows = append(rows, r)
		src = rest
	}
}

// tuple reads values up to the closing parenthesis.
func tuple(src string) ([]any, string, error) {
	var vals []any
	for {
		src = strings.TrimLeft(src, " \t\r\n")
		if src == "" {
			return nil, "", fmt.Errorf("unterminated tuple")
		}
		var v any
		var err error
		if v, src, err = value(src); err != nil {
			return nil, "", err
		}
		vals = append(vals, v)
		src = strings.TrimLeft(src, " \t\r\n")
		if src == "" {
			return nil, "", fmt.Errorf("unterminated tuple")
		}
		if src[0] == ')' {
			return vals, src[1:], nil
		}
		if src[0] != ',' {
			return nil, "", fmt.Errorf("unexpected %q in tuple", src[:min(20, len(src))])
		}
		src = src[1:]
	}
}

func value(src string) (any, string, error) {
	if src[0] == '\'' {
		var b strings.Builder
		for i := 1; i < len(src); i++ {
			if src[i] != '\'' {
				b.WriteByte(src[i])
				continue
			}
			if i+1 < len(src) && src[i+1] == '\'' {
				b.WriteByte('\'')
				i++
				continue
			}
			return b.String(), src[i+1:], nil
		}
		return nil, "", fmt.Errorf("unterminated string")
	}
	for word, v := range map[string]any{"NULL": nil, "true": true, "false": false} {
		if strings.HasPrefix(src, word) {
			return v, src[len(word):], nil
		}
	}
	return nil, "", fmt.Errorf("unsupported literal %q", src[:min(20, len(src))])
}

func skipSpaceAndComments(src string) string {
	for {
		src = strings.TrimLeft(src, " \t\r\n")
		if !strings.HasPrefix(src, "--") {
			return src
		}
		nl := strings.IndexByte(src, '\n')
		if nl < 0 {
			return ""
		}
		src = src[nl+1:]
	}
}
