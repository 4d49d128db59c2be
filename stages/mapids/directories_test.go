package mapids

import (
	"context"
	"sort"
	"strings"
)

// sampleEmails is the primary-email rule of spec §4.2 over the sample
// alternate_email__c rows: among live, active, non-".old" addresses, the one
// flagged primary, else the first by sfid.
type sampleEmails struct{ rows map[string]row }

func (e sampleEmails) PrimaryEmail(_ context.Context, contact string) (string, error) {
	var candidates []row
	for _, r := range e.rows {
		addr := r.trimmed("alternate_email_address__c")
		active, _ := r.boolean("active__c")
		deleted, _ := r.boolean("isdeleted")
		if r.str("leadorcontactid") != contact || !active || deleted || addr == "" ||
			strings.HasSuffix(strings.ToLower(addr), ".old") {
			continue
		}
		candidates = append(candidates, r)
	}
	sort.Slice(candidates, func(i, j int) bool {
		pi, _ := candidates[i].boolean("primary_email__c")
		pj, _ := candidates[j].boolean("primary_email__c")
		if pi != pj {
			return pi
		}
		return candidates[i].str("sfid") < candidates[j].str("sfid")
	})
	if len(candidates) == 0 {
		return "", nil
	}
	return candidates[0].trimmed("alternate_email_address__c"), nil
}

// sampleOrgs is the accounts table of the sample data README.
type sampleOrgs map[string][2]string

func (o sampleOrgs) Org(_ context.Context, sfid string) (string, string, bool, error) {
	org, ok := o[sfid]
	if !ok || org[0] == "" {
		return "", "", false, nil
	}
	website := ""
	if org[1] != "" {
		website = "http://" + org[1]
	}
	return org[0], website, true, nil
}

var readmeOrgs = sampleOrgs{
	"0014x0000eNCBLcAAP": {"Northwind Systems", "northwind.example"},
	"0014x0000Mj8qZ4AQI": {"Bluefin Data", "bluefin-data.example"},
	"0014x0000PpigTsAQI": {"Cobalt Ridge Software", "cobaltridge.example"},
	"0014x0000o0PRnaAAG": {"Larchmont Labs", "larchmont.example"},
	"0014x0000YGiA3JAQV": {"Pinecrest Networks", "pinecrest.example"},
	"0014x00003mjSOMAA2": {"Quartzline Semiconductors", "quartzline.example"},
	"0014x0000avUzkvAAC": {"Redwood Arc Cloud", "redwoodarc.example"},
	"0014x0000EPCECbAQP": {"Silverbirch Analytics", "silverbirch.example"},
	"0014x0000deIGMNAA4": {"Tidewater Telecom", "tidewater.example"},
	"0014x0000g31YdiAAE": {"Umberfield University", "umberfield.example"},
	"0014x0000BydbraAQA": {"Individual - No Account", ""},
}
