package v2client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/streams"
)

// Natural-key finders recover a create whose response was lost: the object
// may exist in v2 while the ID map only holds a pending claim. The services
// offer no REST list or search, so each finder uses what the platform does
// offer for that entity.

// NATS request/reply subjects served by the v2 services.
const (
	SubjectSlugToUID   = streams.SubjectSlugToUID
	SubjectListMembers = "lfx.committee-api.list_members"
)

// ProjectUIDBySlug asks the project service for the uid of slug; "" when
// there is none (the service answers an empty reply for not found).
func (c *Client) ProjectUIDBySlug(ctx context.Context, slug string) (string, error) {
	reply, err := c.request(ctx, SubjectSlugToUID, slug)
	if err != nil {
		return "", fmt.Errorf("v2 slug_to_uid %q: %w", slug, err)
	}
	return strings.TrimSpace(reply), nil
}

// MemberUIDByEmail returns the uid of the member of committeeUID whose email
// matches (trimmed, case-insensitive, as the service's uniqueness rule),
// using the committee service's list_members reply.
func (c *Client) MemberUIDByEmail(ctx context.Context, committeeUID, email string) (string, error) {
	reply, err := c.request(ctx, SubjectListMembers, committeeUID)
	if err != nil {
		return "", fmt.Errorf("v2 list_members %s: %w", committeeUID, err)
	}
	reply = strings.TrimSpace(reply)
	if reply == "" || reply == "null" {
		return "", nil
	}
	var members []struct {
		UID   string `json:"uid"`
		Email string `json:"email"`
	}
	if err := json.Unmarshal([]byte(reply), &members); err != nil {
		return "", fmt.Errorf("v2 list_members %s: undecodable reply: %w", committeeUID, err)
	}
	want := strings.ToLower(strings.TrimSpace(email))
	for _, m := range members {
		if strings.ToLower(strings.TrimSpace(m.Email)) == want {
			return m.UID, nil
		}
	}
	return "", nil
}

func (c *Client) request(ctx context.Context, subject, payload string) (string, error) {
	if c.nc == nil {
		return "", errors.New("no NATS connection")
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()
	msg, err := c.nc.RequestWithContext(ctx, subject, []byte(payload))
	if err != nil {
		return "", err
	}
	return string(msg.Data), nil
}

// CommitteeUIDByName finds the committee named name in projectUID. The
// committee service has no list or search, so this replays the indexer's
// committee events captured in V2_EVENTS and keeps the latest state of each
// committee. Events lag writes by about a second: a miss right after a
// create is possible, and the caller must then not create blindly (the
// service's name uniqueness answers 409 and the caller retries later).
func (c *Client) CommitteeUIDByName(ctx context.Context, projectUID, name string) (string, error) {
	if c.nc == nil {
		return "", errors.New("v2 committee by name: no NATS connection")
	}
	js, err := jetstream.New(c.nc)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	cons, err := js.OrderedConsumer(ctx, streams.V2Events, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{streams.V2EventSubject("committee", "*")},
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return "", fmt.Errorf("v2 committee by name: %w", err)
	}
	names := map[string]string{} // committee uid -> "project uid|name"
	if err := scanEvents(ctx, cons, names); err != nil {
		return "", fmt.Errorf("v2 committee by name: %w", err)
	}
	want := projectUID + "|" + name
	for uid, got := range names {
		if got == want {
			return uid, nil
		}
	}
	return "", nil
}

type committeeEvent struct {
	ObjectID string `json:"object_id"`
	Action   string `json:"action"`
	Body     struct {
		Data struct {
			Name       string `json:"name"`
			ProjectUID string `json:"project_uid"`
		} `json:"data"`
	} `json:"body"`
}

func scanEvents(ctx context.Context, cons jetstream.Consumer, names map[string]string) error {
	for {
		batch, err := cons.Fetch(500, jetstream.FetchMaxWait(500*time.Millisecond))
		if err != nil {
			return err
		}
		n, pending := 0, uint64(0)
		for m := range batch.Messages() {
			n++
			if md, err := m.Metadata(); err == nil {
				pending = md.NumPending
			}
			applyCommitteeEvent(m.Data(), names)
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return err
		}
		if n == 0 || pending == 0 {
			return ctx.Err()
		}
	}
}

func applyCommitteeEvent(data []byte, names map[string]string) {
	var ev committeeEvent
	if json.Unmarshal(data, &ev) != nil || ev.ObjectID == "" {
		return
	}
	if ev.Action == "deleted" {
		delete(names, ev.ObjectID)
		return
	}
	if ev.Body.Data.Name != "" {
		names[ev.ObjectID] = ev.Body.Data.ProjectUID + "|" + ev.Body.Data.Name
	}
}
