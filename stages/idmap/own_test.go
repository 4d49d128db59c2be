package idmap_test

import (
	"context"
	"testing"

	"github.com/linuxfoundation/v1sync/stages/idmap"
	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
)

func TestOwnGivesAReverseKeyToOneRecord(t *testing.T) {
	env := natstest.Start(t)
	env.Provision(t, streams.Config{})
	m := idmap.New(env.KV(t, streams.BucketMappings))
	ctx := context.Background()
	key := idmap.ProjectUIDKey("uid-1")
	is := func(want string) func(string) bool { return func(v string) bool { return v == want } }

	for _, c := range []struct {
		why, value, wantOther, wantStored string
	}{
		{"absent: taken", "a", "", "a"},
		{"same owner: kept", "a", "", "a"},
		{"another live owner: refused", "b", "a", "a"},
	} {
		other, err := m.Own(ctx, key, c.value, is(c.value))
		if err != nil || other != c.wantOther {
			t.Fatalf("%s: other %q, %v; want %q", c.why, other, err, c.wantOther)
		}
		if got, _ := m.Live(ctx, key); got != c.wantStored {
			t.Fatalf("%s: stored %q, want %q", c.why, got, c.wantStored)
		}
	}
	if err := m.Tombstone(ctx, key); err != nil {
		t.Fatal(err)
	}
	if other, err := m.Own(ctx, key, "b", is("b")); err != nil || other != "" {
		t.Fatalf("tombstoned: other %q, %v; want it taken", other, err)
	}
	if got, _ := m.Live(ctx, key); got != "b" {
		t.Fatalf("after taking a tombstoned key: %q", got)
	}
}
