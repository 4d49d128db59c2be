// Package streams declares v1sync's JetStream topology as data: every stream,
// KV bucket, durable consumer, subject builder and header name lives here, and
// Provision makes a server match it.
//
// Nothing else in the module spells a stream, subject or header literally;
// stages and the runtime go through the names and builders of this package.
package streams
