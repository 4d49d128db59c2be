package mapids

import (
	"testing"
	"time"
)

func TestFieldRules(t *testing.T) {
	for in, want := range map[string]string{
		"2025-02-01": "2025-02-01", "2025-02-01T00:00:00Z": "2025-02-01",
		"2025-02-01 00:00:00": "2025-02-01", "": "", "  ": "",
	} {
		if got := dateOnly(in); got != want {
			t.Errorf("dateOnly(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"example.org":            "https://example.org",
		"  https://example.org ": "https://example.org",
		"http://example.org":     "http://example.org",
	} {
		if got := cleanURL(in); got != want || !validURL(in) {
			t.Errorf("cleanURL(%q) = %q, want %q", in, got, want)
		}
	}
	for _, in := range []string{"", "   ", "nil", " nil "} {
		if validURL(in) {
			t.Errorf("validURL(%q) = true", in)
		}
	}
	if got := splitList(" Membership ;  Crowdfunding ;"); len(got) != 2 || got[0] != "Membership" || got[1] != "Crowdfunding" {
		t.Errorf("splitList = %q", got)
	}
	if got := splitList(""); got != nil {
		t.Errorf("splitList(\"\") = %q, want nil", got)
	}
}

func TestCommitteeCategory(t *testing.T) {
	for _, c := range []struct{ typ, name, want string }{
		{combinedTOCorTAC, "Open Orbit TAC", categoryTAC},
		{combinedTOCorTAC, "Cloud Lattice Technical Advisory Board", categoryTAC},
		{combinedTOCorTAC, "TAC-Core", categoryTAC},
		{combinedTOCorTAC, "Stacks Oversight Committee", categoryTOC},
		{combinedTOCorTAC, "Harbor Technical Oversight Committee", categoryTOC},
		{"Newsletter", "x", "Newsletter"},
		{"board", "x", categoryOther},
	} {
		if got := committeeCategory(c.typ, c.name); got != c.want {
			t.Errorf("committeeCategory(%q, %q) = %q, want %q", c.typ, c.name, got, c.want)
		}
	}
}

func TestSFIDs(t *testing.T) {
	if got := normalizeSFID("0035e0000ZOe6kV"); got != "0035e0000ZOe6kVAQR" {
		t.Errorf("normalizeSFID = %q", got)
	}
	for in, want := range map[string]string{
		"0035e0000ZOe6kV": "0035e0000ZOe6kVAQR", " 0035e0000mG2vxHAAR ": "0035e0000mG2vxHAAR",
		"N/A": "", "0035e0000ZOe": "", "0035e0000ZOe6kVA": "", "0035e0000-Oe6kVAQR": "",
		"2eba4317-3ffd-4c17-93c1-3628d6c0c27f": "",
	} {
		got, ok := contactSFID(in)
		if got != want || ok != (want != "") {
			t.Errorf("contactSFID(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
}

func TestPrincipal(t *testing.T) {
	for _, c := range []struct {
		name string
		r    row
		want string
	}{
		{"no author", row{}, ""},
		{"live row", row{"lastmodifiedbyid": "0035e000007K2QUAA0"}, "0035e000007K2QUAA0"},
		{"isdeleted is an edit by the deleter", row{"lastmodifiedbyid": "u", "isdeleted": true}, "u"},
		{"deleted with the edit", row{"lastmodifiedbyid": "u", "lastmodifieddate": "2026-01-01 10:00:00.5",
			"_sdc_deleted_at": "2026-01-01T10:00:01.2Z"}, "u"},
		{"deleted later", row{"lastmodifiedbyid": "u", "lastmodifieddate": "2026-01-01 10:00:00",
			"_sdc_deleted_at": "2026-01-01T10:00:02Z"}, ""},
		{"unparsable", row{"lastmodifiedbyid": "u", "lastmodifieddate": "yesterday",
			"_sdc_deleted_at": "2026-01-01T10:00:02Z"}, ""},
	} {
		if got := principalOf(c.r); got != c.want {
			t.Errorf("%s: principal %q, want %q", c.name, got, c.want)
		}
	}
	if tm, err := parseV1Time("2025-08-10 22:29:39.5"); err != nil || !tm.Equal(time.Date(2025, 8, 10, 22, 29, 39, 5e8, time.UTC)) {
		t.Errorf("zone-less timestamp: %v %v", tm, err)
	}
}

func TestConfig(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	bad := DefaultConfig()
	bad.ClientID, bad.Partitions, bad.ParentRetryMax = "", 0, time.Second
	if err := bad.Validate(); err == nil {
		t.Fatal("want an error")
	}
	c := DefaultConfig()
	for d, want := range map[uint64]time.Duration{0: 2 * time.Second, 1: 2 * time.Second, 2: 4 * time.Second,
		6: time.Minute, 60: time.Minute} {
		if got := c.parentRetryDelay(d); got != want {
			t.Errorf("delay after %d deliveries = %s, want %s", d, got, want)
		}
	}
}
