package main

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/linuxfoundation/v1sync/stages/idmap"
	"github.com/linuxfoundation/v1sync/streams"
	v2sim "github.com/linuxfoundation/v1sync/test/sim/v2"
)

// demoEntity is one synced v1 table and its v2 object kind.
type demoEntity struct {
	name, table, kind string
	mapKey            func(string) string
}

var demoEntities = []demoEntity{
	{"project", "salesforce.project__c", v2sim.KindProject, idmap.ProjectSFIDKey},
	{"committee", "platform.collaboration__c", v2sim.KindCommittee, idmap.CommitteeSFIDKey},
	{"member", "platform.community__c", v2sim.KindMember, idmap.MemberSFIDKey},
}

// entityCount compares one entity's v1 rows with v2.
type entityCount struct {
	entity demoEntity
	// rows and live (not soft-deleted) rows in v1; mapped: live rows whose
	// ID-map entry points at a v2 object; objects: what v2 holds.
	rows, live, mapped, objects int
	// strays are v2 objects no live v1 row maps to.
	strays []v2sim.Object
}

// matches: every mapped v1 row has its v2 object and v2 holds nothing else.
func (c entityCount) matches() bool { return c.mapped == c.objects }

func (s *demoStack) entityCounts(ctx context.Context) ([]entityCount, error) {
	objs, err := s.sim.Objects(ctx)
	if err != nil {
		return nil, err
	}
	var out []entityCount
	for _, e := range demoEntities {
		c := entityCount{entity: e}
		rows, err := s.pool.Query(ctx, "SELECT sfid, isdeleted IS TRUE FROM "+e.table)
		if err != nil {
			return nil, err
		}
		var live []string
		for rows.Next() {
			var sfid string
			var deleted bool
			if err := rows.Scan(&sfid, &deleted); err != nil {
				rows.Close()
				return nil, err
			}
			c.rows++
			if !deleted {
				live = append(live, sfid)
			}
		}
		rows.Close()
		c.live = len(live)
		uids := map[string]bool{}
		for _, sfid := range live {
			uid, err := s.ids.Live(ctx, e.mapKey(sfid))
			if err != nil {
				return nil, err
			}
			if uid != "" {
				c.mapped++
				_, uid = idmap.SplitMemberSFIDValue(uid)
				uids[uid] = true
			}
		}
		for _, o := range objs {
			if o.Kind == e.kind && !(e.kind == v2sim.KindProject && o.Key == s.sim.RootUID()) {
				c.objects++
				if !uids[o.Key] {
					c.strays = append(c.strays, o)
				}
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// demoPicks are synced sample rows the live phase edits.
type demoPicks struct {
	projects, committees, members, deletes []string
}

func (s *demoStack) pickSynced(ctx context.Context) (demoPicks, error) {
	var p demoPicks
	var err error
	if p.projects, err = s.synced(ctx, demoEntities[0], 3, demoParentProject); err != nil {
		return p, err
	}
	if p.committees, err = s.synced(ctx, demoEntities[1], 3); err != nil {
		return p, err
	}
	members, err := s.synced(ctx, demoEntities[2], 5)
	if err != nil {
		return p, err
	}
	if len(p.projects) < 3 || len(p.committees) < 3 || len(members) < 5 {
		return p, fmt.Errorf("too few sample rows reached v2 after the backfill (%d projects, %d committees, %d members)",
			len(p.projects), len(p.committees), len(members))
	}
	p.members, p.deletes = members[:3], members[3:]
	return p, nil
}

// synced returns up to n live rows of e, in id order, that are in v2.
func (s *demoStack) synced(ctx context.Context, e demoEntity, n int, except ...string) ([]string, error) {
	rows, err := s.pool.Query(ctx, "SELECT sfid FROM "+e.table+" WHERE isdeleted IS NOT TRUE ORDER BY id")
	if err != nil {
		return nil, err
	}
	var all []string
	for rows.Next() {
		var sfid string
		if err := rows.Scan(&sfid); err != nil {
			rows.Close()
			return nil, err
		}
		all = append(all, sfid)
	}
	rows.Close()
	var out []string
	for _, sfid := range all {
		if len(out) == n {
			break
		}
		uid, err := s.ids.Live(ctx, e.mapKey(sfid))
		if err != nil {
			return nil, err
		}
		if uid != "" && !slices.Contains(except, sfid) {
			out = append(out, sfid)
		}
	}
	return out, nil
}

// stageCount is one stage's runner counters.
type stageCount struct {
	stage                                      string
	received, succeeded, retried, deadLettered int64
}

// stageCounts reads the runners' counters (and ingest's published count,
// reported as received and succeeded) from the demo's metric reader.
func (s *demoStack) stageCounts(ctx context.Context) ([]stageCount, error) {
	var rm metricdata.ResourceMetrics
	if err := s.reader.Collect(ctx, &rm); err != nil {
		return nil, err
	}
	byStage := map[string]*stageCount{}
	for _, name := range []string{streams.StageIngest, streams.StageNormalize, streams.StageMap, streams.StageWrite} {
		byStage[name] = &stageCount{stage: name}
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			sum, ok := m.Data.(metricdata.Sum[int64])
			if !ok {
				continue
			}
			for _, dp := range sum.DataPoints {
				addCount(byStage, m.Name, dp.Attributes, dp.Value)
			}
		}
	}
	out := make([]stageCount, 0, len(byStage))
	for _, name := range []string{streams.StageIngest, streams.StageNormalize, streams.StageMap, streams.StageWrite} {
		out = append(out, *byStage[name])
	}
	return out, nil
}

func addCount(byStage map[string]*stageCount, metric string, attrs attribute.Set, v int64) {
	if metric == "v1sync_ingest_changes_published" {
		byStage[streams.StageIngest].received += v
		byStage[streams.StageIngest].succeeded += v
		return
	}
	stage, _ := attrs.Value("stage")
	c := byStage[stage.AsString()]
	if c == nil {
		return
	}
	switch metric {
	case "pipeline.received":
		c.received += v
	case "pipeline.succeeded":
		c.succeeded += v
	case "pipeline.retried":
		c.retried += v
	case "pipeline.dead_lettered":
		c.deadLettered += v
	}
}

// deadLetters counts DLQ messages by stage and reason.
func (s *demoStack) deadLetters(ctx context.Context) (map[string]int, error) {
	st, err := s.conn.JS.Stream(ctx, streams.DLQ)
	if err != nil {
		return nil, err
	}
	info, err := st.Info(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			continue // purged or deleted
		}
		out[m.Header.Get(streams.HeaderDLQStage)+": "+m.Header.Get(streams.HeaderDLQReason)]++
	}
	return out, nil
}

// latencies returns the commit-to-v2 times of the changes, sorted.
func latencies(changes []*liveChange) []time.Duration {
	var out []time.Duration
	for _, c := range changes {
		if !c.seen.IsZero() {
			out = append(out, c.seen.Sub(c.committed))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
