package v1change

import (
	"reflect"
	"testing"
)

func TestParseTableSpecs(t *testing.T) {
	known := DefaultTables()
	got, err := ParseTableSpecs(" salesforce.project__c , platform.organization_workspace:key=id:ts=updated_at, salesforce.merged_user:ts=lastmodifieddate+createddate", known)
	if err != nil {
		t.Fatal(err)
	}
	want := []Table{
		known[0],
		{Schema: "platform", Name: "organization_workspace", KeyColumn: "id", PrimaryKey: "id", TimestampColumns: []string{"updated_at"}},
		{Schema: "salesforce", Name: "merged_user", KeyColumn: "sfid", PrimaryKey: "id", TimestampColumns: []string{"lastmodifieddate", "createddate"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	for _, bad := range []string{"", "nodot", "platform.unknown", "salesforce.project__c:colour=red", "salesforce.project__c:key=", "salesforce.project__c,salesforce.project__c"} {
		if _, err := ParseTableSpecs(bad, known); err == nil {
			t.Errorf("ParseTableSpecs(%q) accepted", bad)
		}
	}
}
