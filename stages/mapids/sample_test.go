package mapids

import (
	"strings"
	"testing"

	"github.com/linuxfoundation/v1sync/test/v1data"
)

// sampleRows are the rows of the shared v1 sample data (test/v1data), by
// v1-objects key prefix and then sfid.
type sampleRows map[string]map[string]row

// loadSample parses the shared sample; each call returns fresh rows, so a
// test may change them.
func loadSample(t testing.TB) sampleRows {
	t.Helper()
	tables, err := v1data.Rows()
	if err != nil {
		t.Fatal(err)
	}
	rows := sampleRows{}
	for table, bySfid := range tables {
		prefix := strings.Replace(table, ".", "-", 1)
		rows[prefix] = make(map[string]row, len(bySfid))
		for sfid, r := range bySfid {
			rows[prefix][sfid] = row(r)
		}
	}
	return rows
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
