// Package ingest captures v1 row changes from PostgreSQL logical replication
// (pgoutput, protocol 1) and publishes them to V1_CHANGES. It is a source, not
// a consumer stage: it owns its replication connection. The rules it keeps:
//
//   - Ids: Nats-Msg-Id is "<final LSN>-<ordinal in transaction>", identical
//     when PostgreSQL re-sends a transaction, so JetStream drops the repeat.
//   - Confirmation: the slot is confirmed only across the contiguous prefix of
//     transactions whose publishes were all PubAck'd at least the server's
//     sync interval (plus a margin) ago; under sync-always, at the PubAck.
//     Idle keepalive positions queue behind in-flight work, so they never
//     confirm a change that is not yet durable.
//   - Restarts: any publish error ends the session; the next one resumes from
//     the slot. Transactions that committed before the newest LSN already in
//     V1_CHANGES are skipped (beyond the de-duplication window too); the one
//     at that LSN is re-sent and de-duplicated, since it may be partial.
//   - Slot: created only when neither V1_CHANGES holds a captured change nor
//     v1sync-state records the slot. A slot that is missing after use, or
//     invalidated, is reported (log, metric, unready) and never recreated: the
//     WAL in the gap is gone. The operator recreates the slot, then runs a
//     backfill; ingest adopts the new slot on its next attempt.
//   - Deletes: under the default replica identity a DELETE carries only the
//     primary key. For such tables ingest keeps an id index (primary key to
//     key column) in v1sync-state, seeded when the slot is adopted and written
//     with each insert, and resolves the delete's key from it. A delete it
//     cannot resolve is still published, without a key, and counted.
package ingest
