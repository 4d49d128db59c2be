package idmap_test

import (
	"context"
	"testing"
	"time"

	"github.com/linuxfoundation/v1sync/stages/idmap"
	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
)

func TestLookupResponder(t *testing.T) {
	env := natstest.Start(t)
	env.Provision(t, streams.Config{})
	m := idmap.New(env.KV(t, streams.BucketMappings))
	ctx := context.Background()

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(m.Put(ctx, idmap.ProjectSFIDKey("a092W0000h8PYh6QAG"), "0b9c7c1e-1111-4e2a-9c55-2f7d5b1b0a01"))
	must(m.Put(ctx, idmap.CommitteeUIDKey("c-uid"), idmap.CommitteeUIDValue("a092W0000h8PYh6QAG", "a0D7k00007i95ubEAA")))
	must(m.Put(ctx, idmap.ProjectSFIDKey("a092W0000LLWINJQQ5"), "to-be-deleted"))
	must(m.Tombstone(ctx, idmap.ProjectSFIDKey("a092W0000LLWINJQQ5")))
	must(m.Put(ctx, "project.sfid.legacy", "🪦"))
	_, err := m.Claim(ctx, idmap.ProjectSFIDKey("a092W0000uIINFIQA5"))
	must(err)

	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- idmap.Serve(sctx, env.NC, m) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})

	ask := func(key string) string {
		t.Helper()
		var reply string
		// The responder subscribes asynchronously: retry until it answers.
		natstest.Eventually(t, 5*time.Second, "lookup reply for "+key, func() bool {
			msg, err := env.NC.Request(streams.SubjectLookupMapping, []byte(key), time.Second)
			if err != nil {
				return false
			}
			reply = string(msg.Data)
			return true
		})
		return reply
	}

	cases := []struct{ name, key, want string }{
		{"live forward", "project.sfid.a092W0000h8PYh6QAG", "0b9c7c1e-1111-4e2a-9c55-2f7d5b1b0a01"},
		{"live value verbatim", "committee.uid.c-uid", "a092W0000h8PYh6QAG:a0D7k00007i95ubEAA"},
		{"tombstoned", "project.sfid.a092W0000LLWINJQQ5", ""},
		{"legacy tombstone", "project.sfid.legacy", ""},
		{"pending claim", "project.sfid.a092W0000uIINFIQA5", ""},
		{"unknown", "project.sfid.a092W0000bRbZB8QAN", ""},
	}
	for _, c := range cases {
		if got := ask(c.key); got != c.want {
			t.Errorf("%s: lookup %q = %q, want %q", c.name, c.key, got, c.want)
		}
	}
	// An invalid KV key is a bucket error, reported with the prior art's prefix.
	if got := ask("bad key with spaces"); len(got) < 7 || got[:7] != "error: " {
		t.Errorf("invalid key: reply %q, want an error: reply", got)
	}
}
