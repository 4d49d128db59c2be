package v1data

import "testing"

func TestRowsParsesEverySampleRow(t *testing.T) {
	rows, err := Rows()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"salesforce.project__c": 45, "platform.collaboration__c": 59, "platform.community__c": 252,
		"salesforce.merged_user": 150, "salesforce.alternate_email__c": 286}
	for table, n := range want {
		if got := len(rows[table]); got != n {
			t.Errorf("%s: %d rows, want %d", table, got, n)
		}
	}
	p := rows["salesforce.project__c"]["a092W0000RqzyFqQQI"]
	if p["charterurl__c"] != "nil" || p["auto_join_enabled__c"] != nil || p["isdeleted"] != false {
		t.Errorf("data-harbor row: %v", p)
	}
}
