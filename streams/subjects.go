package streams

import (
	"fmt"
	"hash/fnv"
	"strings"
)

// Subject roots.
const (
	v1ChangesRoot = "v1.changes"
	v2IntentsRoot = "v2.intents"
	dlqRoot       = "dlq"
	eventsRoot    = "lfx"
)

// V1ChangeSubject is the subject of a captured change to one row of
// schema.table. The last token is the row's partition (see Partition), so
// that consumers can split a table's rows across processes by subject.
func V1ChangeSubject(schema, table, key string, partitions int) string {
	return fmt.Sprintf("%s.%s.%s.%d", v1ChangesRoot, token(schema), token(table), Partition(key, partitions))
}

// V2IntentSubject is the subject of a write intent for one v2 entity
// ("project", "committee", "committee_member"), partitioned by the v1 key.
func V2IntentSubject(entity, key string, partitions int) string {
	return fmt.Sprintf("%s.%s.%d", v2IntentsRoot, token(entity), Partition(key, partitions))
}

// DLQSubject is where a stage dead-letters a message that arrived on orig.
func DLQSubject(stage, orig string) string {
	return dlqRoot + "." + stage + "." + orig
}

// DLQFilter selects the dead letters of stage, or of every stage when stage
// is "".
func DLQFilter(stage string) string {
	if stage == "" {
		return dlqRoot + ".>"
	}
	return dlqRoot + "." + stage + ".>"
}

// V2EventSubject is the core-NATS subject of an indexer event,
// lfx.<object_type>.<action>.
func V2EventSubject(objectType, action string) string {
	return eventsRoot + "." + objectType + "." + action
}

// KVSubject is the stream subject of key in a KV bucket.
func KVSubject(bucket, key string) string { return "$KV." + bucket + "." + key }

// KVKey returns the key of a KV stream subject, or "" if subj is not in bucket.
func KVKey(bucket, subj string) string {
	prefix := "$KV." + bucket + "."
	if !strings.HasPrefix(subj, prefix) {
		return ""
	}
	return subj[len(prefix):]
}

// KVBucketKey splits a KV stream subject into its bucket and key; ok is
// false when subj is not a KV subject.
func KVBucketKey(subj string) (bucket, key string, ok bool) {
	rest, found := strings.CutPrefix(subj, "$KV.")
	if !found {
		return "", "", false
	}
	bucket, key, ok = strings.Cut(rest, ".")
	return bucket, key, ok && bucket != "" && key != ""
}

// Partition maps an ordering key onto one of n partitions (FNV-1a). The
// mapping is part of the stored subjects: changing n remaps keys, so a stream
// is drained before its partition count changes.
func Partition(key string, n int) int {
	if n <= 1 {
		return 0
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	return int(h.Sum32() % uint32(n))
}

// token makes s safe as a single subject token.
func token(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '.', '*', '>', ' ', '\t', '\n', '\r':
			return '_'
		}
		return r
	}, s)
}
