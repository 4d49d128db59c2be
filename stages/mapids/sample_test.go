package mapids

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// sampleRows are the rows of testdata/v1-sample.sql (a copy of the shared v1
// sample data), by v1-objects key prefix and then sfid.
type sampleRows map[string]map[string]row

// loadSample parses the INSERT statements of the sample file: string
// literals with ” escapes, NULL, true and false are all it uses.
func loadSample(t testing.TB) sampleRows {
	t.Helper()
	data, err := os.ReadFile("testdata/v1-sample.sql")
	if err != nil {
		t.Fatal(err)
	}
	rows := sampleRows{}
	src := string(data)
	for {
		i := strings.Index(src, "INSERT INTO ")
		if i < 0 {
			return rows
		}
		src = src[i+len("INSERT INTO "):]
		table := strings.Fields(src)[0]
		open, closing := strings.IndexByte(src, '('), strings.IndexByte(src, ')')
		cols := strings.Split(src[open+1:closing], ",")
		for i := range cols {
			cols[i] = strings.TrimSpace(cols[i])
		}
		src = src[strings.Index(src, "VALUES")+len("VALUES"):]
		prefix := strings.Replace(table, ".", "-", 1)
		if rows[prefix] == nil {
			rows[prefix] = map[string]row{}
		}
		if src, err = parseTuples(src, cols, rows[prefix]); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
	}
}

// parseTuples reads "(v, ...), (v, ...);" and returns the rest of src.
func parseTuples(src string, cols []string, into map[string]row) (string, error) {
	for {
		src = skipSpaceAndComments(src)
		if src == "" || src[0] != '(' {
			return src, fmt.Errorf("want '(' at %.40q", src)
		}
		r := row{}
		src = src[1:]
		for _, col := range cols {
			var v any
			var err error
			v, src, err = parseValue(skipSpaceAndComments(src))
			if err != nil {
				return src, err
			}
			r[col] = v
			src = strings.TrimLeft(skipSpaceAndComments(src), ",")
		}
		src = skipSpaceAndComments(src)
		if src == "" || src[0] != ')' {
			return src, fmt.Errorf("want ')' at %.40q", src)
		}
		into[r.str("sfid")] = r
		src = skipSpaceAndComments(src[1:])
		if src[0] == ';' {
			return src[1:], nil
		}
		src = src[1:] // ","
	}
}

func parseValue(src string) (any, string, error) {
	switch {
	case strings.HasPrefix(src, "'"):
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
		return nil, src, fmt.Errorf("unterminated string")
	case strings.HasPrefix(src, "NULL"):
		return nil, src[4:], nil
	case strings.HasPrefix(src, "true"):
		return true, src[4:], nil
	case strings.HasPrefix(src, "false"):
		return false, src[5:], nil
	}
	return nil, src, fmt.Errorf("unknown value at %.40q", src)
}

func skipSpaceAndComments(src string) string {
	for {
		src = strings.TrimLeft(src, " \t\r\n")
		if !strings.HasPrefix(src, "--") {
			return src
		}
		if i := strings.IndexByte(src, '\n'); i >= 0 {
			src = src[i+1:]
		} else {
			return ""
		}
	}
}

func TestSampleLoads(t *testing.T) {
	rows := loadSample(t)
	want := map[string]int{
		prefixProject: 45, prefixCommittee: 59, prefixMember: 252,
		prefixMergedUser: 150, "salesforce-alternate_email__c": 286,
	}
	for prefix, n := range want {
		if got := len(rows[prefix]); got != n {
			t.Errorf("%s: %d rows, want %d", prefix, got, n)
		}
	}
}
