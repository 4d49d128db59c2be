package v1users

import (
	"context"
	"testing"
	"time"

	"github.com/linuxfoundation/v1sync/test/pgtest"
)

func TestPrimaryEmailFollowsThePriorArtsRule(t *testing.T) {
	pg := pgtest.Start(t)
	ctx := context.Background()
	// A user whose only active address is retired: no primary email.
	if _, err := pg.Pool.Exec(ctx, `INSERT INTO salesforce.alternate_email__c
		(sfid, leadorcontactid, alternate_email_address__c, primary_email__c, active__c, isdeleted) VALUES
		('a0F3t0000Test01AAA', '0035e0000Test01AAA', 'gone@example.OLD', true, true, false),
		('a0F3t0000Test02AAA', '0035e0000Test01AAA', 'deleted@example.org', true, true, true)`); err != nil {
		t.Fatal(err)
	}
	e, err := NewEmails(DefaultConfig(), pg.Pool)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ sfid, want, why string }{
		{"0035e000007K2QUAA0", "avery.stone@example.com", "the active row flagged primary"},
		{"0035e0000NfhzfkAQA", "aalder@larchmont.example", "primary row inactive: the first active row"},
		{"0035e00001XNanSAAT", "oakley.redfern@example.com", "a retired '.old' row never wins"},
		{"0035e0000Va6cQQAQY", "", "no email rows"},
		{"0035e0000Test01AAA", "", "only retired or deleted rows"},
		{"0035e0000Nobody0AA", "", "unknown user"},
	} {
		got, err := e.PrimaryEmail(ctx, c.sfid)
		if err != nil {
			t.Fatalf("%s: %v", c.sfid, err)
		}
		if got != c.want {
			t.Errorf("%s (%s): got %q, want %q", c.sfid, c.why, got, c.want)
		}
	}
}

func TestPrimaryEmailIsCachedForTheTTL(t *testing.T) {
	pg := pgtest.Start(t)
	ctx := context.Background()
	e, err := NewEmails(DefaultConfig(), pg.Pool)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	e.now = func() time.Time { return now }
	const user = "0035e000007K2QUAA0"
	if got, _ := e.PrimaryEmail(ctx, user); got != "avery.stone@example.com" {
		t.Fatalf("got %q", got)
	}
	if _, err := pg.Pool.Exec(ctx, `UPDATE salesforce.alternate_email__c SET active__c = false
		WHERE sfid = 'a0F3t0000JHAYG3EQP'`); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.PrimaryEmail(ctx, user); got != "avery.stone@example.com" {
		t.Errorf("within the TTL: got %q, want the cached answer", got)
	}
	now = now.Add(DefaultConfig().CacheTTL)
	if got, _ := e.PrimaryEmail(ctx, user); got != "astone@larchmont.example" {
		t.Errorf("after the TTL: got %q, want the remaining active row", got)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	bad := Config{QueryTimeout: 0, CacheTTL: -1}
	if err := bad.Validate(); err == nil {
		t.Fatal("want an error")
	}
}
