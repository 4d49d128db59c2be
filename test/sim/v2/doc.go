// Package v2sim simulates the LFX One (v2) project and committee services and
// the indexer events they cause, faithfully enough that the pipeline cannot
// tell it from the real ones (spec: shared/spec/v2-services.md §7).
//
// State lives in NATS KV buckets with the services' own names and key
// formats, so ETags are real bucket revisions: gapped, shared with index
// keys, and separate for base and settings records.
//
// In a test:
//
//	env := natstest.Start(t)
//	cfg := v2sim.DefaultConfig()
//	cfg.EventDelay = v2sim.Delay{}            // events as soon as written
//	sim := v2sim.StartT(t, env.NC, cfg)       // or Start(ctx, nc, cfg) + Close
//	pa, ca := sim.Audiences()                 // JWT audiences of the two services
//	tok, _ := sim.Token("v1sync@clients", pa) // or sign with sim.SigningKey()/SigningKeyPEM(), kid from JWKSURL()
//	// call sim.URL() + "/projects", "/committees/{uid}/members?v=1", …
//	sim.SetFault(v2sim.ProjectUpdate, v2sim.Fault{FailPublishRate: 1})
//	objs, _ := sim.Objects(ctx)               // every stored record and index key
//	n := sim.CallCount(v2sim.ProjectCreate, 409)
//
// Indexer events arrive on core NATS as lfx.<object_type>.<action>
// (streams.V2EventSubject) carrying an IndexEvent; the services' own
// lfx.index.*, lfx.fga-sync.* and domain events are published too, and the
// lfx.projects-api.* / lfx.committee-api.* request/reply subjects are served.
package v2sim
