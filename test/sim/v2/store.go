package v2sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// The services' KV buckets (spec §2.7, §3.8). They belong to the simulated
// services, not to v1sync's topology, hence local names.
const (
	BucketProjects          = "projects"
	BucketProjectSettings   = "project-settings"
	BucketCommittees        = "committees"
	BucketCommitteeSettings = "committee-settings"
	BucketMembers           = "committee-members"
)

// Key prefixes of secondary-index keys.
const (
	keySlug            = "slug/"
	keyCommitteeName   = "lookup/committees/"
	keySSOGroup        = "lookup/committee-sso-groups/"
	keyMemberEmail     = "lookup/committee-members/"
	keyMemberByCommit  = "lookup/committee-members-by-committee/"
	keyMemberByOrg     = "lookup/committee-members-by-organization/"
	keyMemberByEmail   = "lookup/committee-members-by-email/"
	keyMemberByUser    = "lookup/committee-members-by-username/"
	bucketHistory      = 20
	bucketMaxBytes     = 1 << 30
	bucketMaxValueSize = 10 << 20
)

var allBuckets = []string{BucketProjects, BucketProjectSettings, BucketCommittees, BucketCommitteeSettings, BucketMembers}

var errNotFound = errors.New("not found")

type store struct {
	projects, projectSettings     jetstream.KeyValue
	committees, committeeSettings jetstream.KeyValue
	members                       jetstream.KeyValue
	byName                        map[string]jetstream.KeyValue
}

// openStore creates (or binds to) the services' buckets with the chart's
// settings: history 20, file storage, compression.
func openStore(ctx context.Context, js jetstream.JetStream) (*store, error) {
	s := &store{byName: make(map[string]jetstream.KeyValue)}
	for _, b := range allBuckets {
		kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket: b, History: bucketHistory, MaxBytes: bucketMaxBytes,
			MaxValueSize: bucketMaxValueSize, Storage: jetstream.FileStorage, Compression: true,
		})
		if err != nil {
			return nil, fmt.Errorf("v2sim: create bucket %s: %w", b, err)
		}
		s.byName[b] = newCachedKV(kv)
	}
	s.projects, s.projectSettings = s.byName[BucketProjects], s.byName[BucketProjectSettings]
	s.committees, s.committeeSettings = s.byName[BucketCommittees], s.byName[BucketCommitteeSettings]
	s.members = s.byName[BucketMembers]
	return s, nil
}

// follow keeps every bucket's cache in step with other writers.
func (s *store) follow(ctx context.Context) error {
	for _, kv := range s.byName {
		if err := kv.(*cachedKV).follow(ctx); err != nil {
			return fmt.Errorf("v2sim: watch bucket %s: %w", kv.Bucket(), err)
		}
	}
	return nil
}

// getJSON loads key into v and returns its revision; errNotFound if absent.
func getJSON(ctx context.Context, kv jetstream.KeyValue, key string, v any) (uint64, error) {
	e, err := kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0, errNotFound
	}
	if err != nil {
		return 0, err
	}
	if err := json.Unmarshal(e.Value(), v); err != nil {
		return 0, fmt.Errorf("decode %s/%s: %w", kv.Bucket(), key, err)
	}
	return e.Revision(), nil
}

// getString loads a raw string value ("" and errNotFound when absent).
func getString(ctx context.Context, kv jetstream.KeyValue, key string) (string, error) {
	e, err := kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", errNotFound
	}
	if err != nil {
		return "", err
	}
	return string(e.Value()), nil
}

func putJSON(ctx context.Context, kv jetstream.KeyValue, key string, v any) (uint64, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return 0, err
	}
	return kv.Put(ctx, key, b)
}

func createJSON(ctx context.Context, kv jetstream.KeyValue, key string, v any) (uint64, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return 0, err
	}
	return kv.Create(ctx, key, b)
}

// updateJSON is a CAS write; isStale tells a lost race apart.
func updateJSON(ctx context.Context, kv jetstream.KeyValue, key string, v any, rev uint64) (uint64, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return 0, err
	}
	return kv.Update(ctx, key, b, rev)
}

func isStale(err error) bool { return errors.Is(err, jetstream.ErrKeyRevisionMismatch) }

func isExists(err error) bool { return errors.Is(err, jetstream.ErrKeyExists) }

// deleteKey removes key, ignoring "already gone".
func deleteKey(ctx context.Context, kv jetstream.KeyValue, key string, opts ...jetstream.KVDeleteOpt) error {
	err := kv.Delete(ctx, key, opts...)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil
	}
	return err
}
