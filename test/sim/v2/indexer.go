package v2sim

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// IndexEvent is what the indexer publishes on lfx.<object_type>.<action>
// after writing a document (spec §4.3).
type IndexEvent struct {
	DocumentID string   `json:"document_id"`
	ObjectID   string   `json:"object_id"`
	ObjectType string   `json:"object_type"`
	Action     string   `json:"action"`
	Timestamp  string   `json:"timestamp"`
	Body       IndexDoc `json:"body"`
}

// IndexDoc is the OpenSearch document (spec §4.2): updates carry no
// created_*, deletes are tombstones without data, public is absent when false.
type IndexDoc struct {
	ObjectRef            string   `json:"object_ref"`
	ObjectType           string   `json:"object_type"`
	ObjectID             string   `json:"object_id"`
	ParentRefs           []string `json:"parent_refs,omitempty"`
	SortName             string   `json:"sort_name,omitempty"`
	NameAndAliases       []string `json:"name_and_aliases,omitempty"`
	Tags                 []string `json:"tags,omitempty"`
	Public               bool     `json:"public,omitempty"`
	AccessCheckObject    string   `json:"access_check_object,omitempty"`
	AccessCheckRelation  string   `json:"access_check_relation,omitempty"`
	HistoryCheckObject   string   `json:"history_check_object,omitempty"`
	HistoryCheckRelation string   `json:"history_check_relation,omitempty"`
	AccessCheckQuery     string   `json:"access_check_query,omitempty"`
	HistoryCheckQuery    string   `json:"history_check_query,omitempty"`
	Latest               bool     `json:"latest"`
	CreatedAt            string   `json:"created_at,omitempty"`
	CreatedBy            []string `json:"created_by,omitempty"`
	CreatedByPrincipals  []string `json:"created_by_principals,omitempty"`
	CreatedByEmails      []string `json:"created_by_emails,omitempty"`
	UpdatedAt            string   `json:"updated_at,omitempty"`
	UpdatedBy            []string `json:"updated_by,omitempty"`
	UpdatedByPrincipals  []string `json:"updated_by_principals,omitempty"`
	UpdatedByEmails      []string `json:"updated_by_emails,omitempty"`
	DeletedAt            string   `json:"deleted_at,omitempty"`
	DeletedBy            []string `json:"deleted_by,omitempty"`
	DeletedByPrincipals  []string `json:"deleted_by_principals,omitempty"`
	DeletedByEmails      []string `json:"deleted_by_emails,omitempty"`
	Data                 any      `json:"data,omitempty"`
	Fulltext             string   `json:"fulltext,omitempty"`
}

// writer is who the indexer credits with a change.
type writer struct {
	by, principals, emails []string
}

// principals reads the authorization header like the indexer: a non-JWT
// bearer is skipped silently, an invalid JWT is skipped too; either way
// the document is still indexed, just without principals.
func (s *Sim) principals(authz string) writer {
	token := strings.TrimPrefix(authz, "Bearer ")
	if !strings.Contains(token, ".") {
		return writer{}
	}
	id, err := s.ver.verify(token, s.cfg.ProjectAudience, s.cfg.CommitteeAudience)
	if err != nil {
		return writer{}
	}
	w := writer{by: []string{fmt.Sprintf("%s <%s>", id.principal, id.email)}, principals: []string{id.principal}}
	if id.email != "" {
		w.emails = []string{id.email}
	}
	return w
}

func (s *Sim) indexEvent(m indexMsg, data any, at time.Time) IndexEvent {
	objectID, _ := data.(string)
	if m.config != nil {
		objectID = expand(m.config.ObjectID, data)
	}
	doc := IndexDoc{ObjectRef: m.objectType + ":" + objectID, ObjectType: m.objectType, ObjectID: objectID, Latest: true}
	w := s.principals(m.authz)
	ts := at.Format(time.RFC3339Nano)
	switch m.action {
	case actionCreated:
		doc.CreatedAt, doc.UpdatedAt = ts, ts
		doc.CreatedBy, doc.CreatedByPrincipals, doc.CreatedByEmails = w.by, w.principals, w.emails
	case actionUpdated:
		doc.UpdatedAt = ts
		doc.UpdatedBy, doc.UpdatedByPrincipals, doc.UpdatedByEmails = w.by, w.principals, w.emails
	case actionDeleted:
		doc.DeletedAt = ts
		doc.DeletedBy, doc.DeletedByPrincipals, doc.DeletedByEmails = w.by, w.principals, w.emails
	}
	doc.Tags = dedup(m.tags)
	if m.action != actionDeleted {
		doc.Data = data
		m.config.apply(&doc, data)
	}
	return IndexEvent{DocumentID: doc.ObjectRef, ObjectID: objectID, ObjectType: m.objectType,
		Action: m.action, Timestamp: at.Format("2006-01-02T15:04:05.000Z07:00"), Body: doc}
}

// apply copies the expanded indexing config into doc.
func (c *indexingConfig) apply(doc *IndexDoc, data any) {
	if c == nil {
		return
	}
	doc.Public = c.Public != nil && *c.Public
	doc.AccessCheckObject, doc.AccessCheckRelation = expand(c.AccessCheckObject, data), c.AccessCheckRelation
	doc.HistoryCheckObject, doc.HistoryCheckRelation = expand(c.HistoryCheckObject, data), c.HistoryCheckRelation
	doc.AccessCheckQuery = doc.AccessCheckObject + "#" + doc.AccessCheckRelation
	doc.HistoryCheckQuery = doc.HistoryCheckObject + "#" + doc.HistoryCheckRelation
	doc.SortName = expand(c.SortName, data)
	doc.NameAndAliases = expandAll(c.NameAndAliases, data)
	doc.ParentRefs = expandAll(c.ParentRefs, data)
	doc.Fulltext = expand(c.Fulltext, data)
	doc.Tags = dedup(append(doc.Tags, expandAll(c.Tags, data)...))
}

var templateRE = regexp.MustCompile(`\{\{\s*([\w.]+)\s*\}\}`)

// expand resolves {{ field.path }} from data; unknown fields become "".
func expand(s string, data any) string {
	if !strings.Contains(s, "{{") {
		return s
	}
	return templateRE.ReplaceAllStringFunc(s, func(t string) string {
		path := templateRE.FindStringSubmatch(t)[1]
		return lookupPath(data, strings.Split(path, "."))
	})
}

func lookupPath(data any, path []string) string {
	for _, p := range path {
		m, ok := data.(map[string]any)
		if !ok {
			return ""
		}
		data = m[p]
	}
	if data == nil {
		return ""
	}
	return fmt.Sprint(data)
}

func expandAll(ss []string, data any) []string {
	if ss == nil {
		return nil
	}
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		out = append(out, expand(s, data))
	}
	return out
}

func dedup(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	seen := make(map[string]bool, len(ss))
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
