package v2sim

import (
	"path/filepath"
	"testing"
)

func TestSigningKeyFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "heimdall.pem")
	k1, err := LoadOrCreateSigningKey(path)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadOrCreateSigningKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !k1.Equal(k2) {
		t.Fatal("key changed across loads")
	}
	if _, err := ParseSigningKey([]byte("nope")); err == nil {
		t.Fatal("garbage accepted")
	}
}
