package v2sim

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/linuxfoundation/v1sync/streams"
)

// Subjects the services publish on besides the indexer events.
const (
	subjectIndexPrefix     = "lfx.index."
	subjectFGAUpdate       = "lfx.fga-sync.update_access"
	subjectFGADelete       = "lfx.fga-sync.delete_access"
	subjectFGAMemberPut    = "lfx.fga-sync.member_put"
	subjectFGAMemberRemove = "lfx.fga-sync.member_remove"
	subjectProjectSettings = "lfx.projects-api.project_settings.updated"
	subjectCommitteeAPI    = "lfx.committee-api."
)

// Indexer actions.
const (
	actionCreated = "created"
	actionUpdated = "updated"
	actionDeleted = "deleted"
)

// internalAuthz is what the committee service's own flows send as
// authorization: not a JWT, so their events carry no principals.
const internalAuthz = "Bearer lfx-v2-committee-service"

var errPublish = errors.New("failed to publish message")

// delivery is how one call's messages travel.
type delivery struct {
	sync  bool // X-Sync: indexer event out before the HTTP answer
	fail  bool // injected NATS publish failure
	delay Delay
	ep    Endpoint
}

// indexMsg is one message a service sends the indexer on lfx.index.<type>.
type indexMsg struct {
	objectType string
	action     string
	authz      string
	onBehalfOf string
	data       any // the KV record, or the uid for deletes
	config     *indexingConfig
	tags       []string
	tagsAlways bool // the committee service serializes tags even when empty
}

type indexingConfig struct {
	ObjectID             string   `json:"object_id"`
	Public               *bool    `json:"public,omitempty"`
	AccessCheckObject    string   `json:"access_check_object"`
	AccessCheckRelation  string   `json:"access_check_relation"`
	HistoryCheckObject   string   `json:"history_check_object"`
	HistoryCheckRelation string   `json:"history_check_relation"`
	SortName             string   `json:"sort_name,omitempty"`
	NameAndAliases       []string `json:"name_and_aliases,omitempty"`
	ParentRefs           []string `json:"parent_refs,omitempty"`
	Fulltext             string   `json:"fulltext,omitempty"`
	Tags                 []string `json:"tags,omitempty"`
}

type rawMsg struct {
	subject string
	body    any
}

// batch collects what one write publishes so that an injected publish
// failure loses all of it, after the KV write, as in the real services.
type batch struct {
	s     *Sim
	d     delivery
	index []indexMsg
	raw   []rawMsg
}

func (s *Sim) batch(d delivery) *batch { return &batch{s: s, d: d} }

func (b *batch) add(m indexMsg)                { b.index = append(b.index, m) }
func (b *batch) publish(subject string, v any) { b.raw = append(b.raw, rawMsg{subject, v}) }

// send publishes everything; errPublish when a failure is injected.
func (b *batch) send() error {
	if b.d.fail {
		return errPublish
	}
	for _, m := range b.index {
		if err := b.s.publishJSON(subjectIndexPrefix+m.objectType, m.envelope()); err != nil {
			return err
		}
		b.s.indexLater(m, b.d)
	}
	for _, r := range b.raw {
		if err := b.s.publishJSON(r.subject, r.body); err != nil {
			return err
		}
	}
	return nil
}

func (m indexMsg) envelope() map[string]any {
	env := map[string]any{
		"action":  m.action,
		"headers": map[string]string{"authorization": m.authz, "x-on-behalf-of": m.onBehalfOf},
		"data":    m.data,
	}
	if m.config != nil {
		env["indexing_config"] = m.config
	}
	if m.tagsAlways && m.tags == nil {
		env["tags"] = []string{}
	} else if m.tags != nil {
		env["tags"] = m.tags
	}
	return env
}

func (s *Sim) publishJSON(subject string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.nc.Publish(subject, b)
}

// indexLater plays the indexer: the event goes out at once under X-Sync,
// else after the configured lag, independently for each message (so
// events are unordered, as core NATS and a queue of indexers make them).
func (s *Sim) indexLater(m indexMsg, d delivery) {
	data := jsonMap(m.data)
	if d.sync {
		s.emit(m, data, d.ep)
		return
	}
	wait := d.delay.pick()
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
			s.emit(m, data, d.ep)
		case <-s.life.Done():
		}
	}()
}

func (s *Sim) emit(m indexMsg, data any, ep Endpoint) {
	ev := s.indexEvent(m, data, time.Now().UTC())
	for range s.faults.eventCopies(ep) {
		_ = s.publishJSON(streams.V2EventSubject(m.objectType, m.action), ev)
	}
}

// jsonMap round-trips a record through JSON, which is what the indexer
// receives (dates become full timestamps, as in KV).
func jsonMap(v any) any {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}
