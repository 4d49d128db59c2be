// Package v2sim simulates the LFX One (v2) project and committee services and
// the indexer events they cause, faithfully enough that the pipeline cannot
// tell it from the real ones (spec: shared/spec/v2-services.md §7).
//
// State lives in NATS KV buckets with the services' own names and key
// formats, so ETags are real bucket revisions: gapped, shared with index
// keys, and separate for base and settings records.
package v2sim
