package ingest

import (
	"strings"
	"testing"
)

func TestConfigErrorsNeverShowTheDSN(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DSN = "postgres://v1:s3cret-pw@db:notaport/v1"
	_, err := New(cfg, nil)
	if err == nil || strings.Contains(err.Error(), "s3cret-pw") {
		t.Fatalf("error %v", err)
	}
	cfg.DSN, cfg.Slot, cfg.Tables = "", "Bad-Slot", nil
	err = cfg.Validate()
	for _, want := range []string{"DSN is required", "Bad-Slot", "no tables"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v, want it to mention %q", err, want)
		}
	}
}
