package write

import (
	"context"
	"fmt"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/intent"
	"github.com/linuxfoundation/v1sync/stages/v2client"
)

// update brings a mapped object's base and settings to the intent's state.
func (s *Stage) update(ctx context.Context, e entity, in intent.Intent, t target) error {
	base, err := fields(in.Base)
	if err != nil {
		return pipeline.Permanent(pipeline.WithReason(err, "malformed"))
	}
	base = without(base, in.CreateOnly)
	e.parents(in, base)
	resp, baseChanged, err := s.putMerged(ctx, e, in, e.basePath(t), base, e.readOnly(), e.defaults())
	if err != nil {
		return err
	}
	settingsChanged := false
	if path := e.settingsPath(t); path != "" && len(in.Settings) > 0 {
		settings, err := fields(in.Settings)
		if err != nil {
			return pipeline.Permanent(pipeline.WithReason(err, "malformed"))
		}
		settings = without(settings, in.CreateOnly)
		if len(settings) > 0 {
			_, settingsChanged, err = s.putMerged(ctx, e, in, path, settings, e.settingsReadOnly(), nil)
			if err != nil {
				return err
			}
		}
	}
	if !baseChanged && !settingsChanged {
		s.counts.Unchanged.Add(1)
		return nil
	}
	s.counts.Updated.Add(1)
	if baseChanged {
		s.writeBackSSO(ctx, in, resp)
	}
	return nil
}

// putMerged is GET, overlay, compare, PUT If-Match; a stale ETag starts the
// round again from a fresh GET, a bounded number of times.
func (s *Stage) putMerged(ctx context.Context, e entity, in intent.Intent, path string,
	desired map[string]any, readOnly []string, defaults map[string]any) (map[string]any, bool, error) {
	for round := 1; ; round++ {
		cur, err := s.deps.v2.Get(ctx, e.service(), path)
		if err != nil {
			return nil, false, classifyRead(err)
		}
		if cur.ETag == "" {
			// An empty If-Match is a 400, not "no precondition".
			return nil, false, fmt.Errorf("v2 GET %s: no ETag", path)
		}
		current := writable(cur.Body, readOnly)
		next := withDefaults(overlay(current, desired), defaults)
		if sameContent(current, next) {
			return nil, false, nil
		}
		resp, err := s.deps.v2.Put(ctx, e.service(), path, in.Principal, cur.ETag, e.headers(opUpdate), next)
		if v2client.Is(err, v2client.Stale) && round < s.cfg.MaxStaleRetries {
			s.counts.ETagRetries.Add(1)
			continue
		}
		if err != nil {
			return nil, false, classify(err)
		}
		return resp, true, nil
	}
}

// classify turns a v2 error into the runner's error classes.
func classify(err error) error {
	switch v2client.KindOf(err) {
	case v2client.Rejected, v2client.NotFound:
		return pipeline.Permanent(pipeline.WithReason(err, "v2-rejected"))
	case v2client.Conflict:
		return pipeline.Permanent(pipeline.WithReason(err, "v2-conflict"))
	default:
		// Transient, and Stale once its re-GET rounds are spent.
		return err
	}
}

// classifyRead is classify for the GET before a write: a mapped object that
// v2 no longer has is not something a retry can fix.
func classifyRead(err error) error {
	if v2client.Is(err, v2client.NotFound) {
		return pipeline.Permanent(pipeline.WithReason(err, "v2-missing"))
	}
	return classify(err)
}

// writeBackSSO tells v1 the SSO group name v2 generated. As in the prior art
// a failure does not fail the intent (the mappings are already written); it
// is counted and logged.
func (s *Stage) writeBackSSO(ctx context.Context, in intent.Intent, resp map[string]any) {
	name := str(resp["sso_group_name"])
	if in.Entity != intent.Committee || s.sso == nil || name == "" || in.ProjectSFID == "" {
		return
	}
	if err := s.sso.WriteSSOGroupName(ctx, in.ProjectSFID, in.V1ID, name); err != nil {
		s.counts.SSOWriteBackFailed.Add(1)
		s.log.Warn().Str("stage", s.Name()).Str("key", in.Key).Err(err).Msg("SSO group name write-back to v1 failed")
	}
}
