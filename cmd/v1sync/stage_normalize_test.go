package main

import (
	"context"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
)

func TestNormalizeStageBuildsFromSettings(t *testing.T) {
	env := natstest.Start(t)
	env.Provision(t, streams.Config{})
	reader := sdkmetric.NewManualReader()
	settings := map[string]string{envV1Tables: "salesforce.project__c,platform.organization_workspace:key=id:ts=updated_at"}
	d := stageDeps{NC: env.NC, JS: env.JS, Topology: streams.DefaultConfig(),
		Meters: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)),
		Env:    func(k string) string { return settings[k] }}
	st, err := buildNormalize(d)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, body := range []string{
		`{"schema":"salesforce","table":"project__c","action":"TRUNCATE"}`,
		`{"schema":"platform","table":"organization_workspace","action":"INSERT","data":{"id":"w1","updated_at":"2025-01-01T00:00:00"}}`,
	} {
		if _, err := st.Handle(ctx, &pipeline.Message{Data: []byte(body)}); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
	}
	if _, err := env.KV(t, streams.BucketObjects).Get(ctx, "platform-organization_workspace.w1"); err != nil {
		t.Errorf("configured extra table not written: %v", err)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if sum, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == "normalize.outcomes" {
				for _, p := range sum.DataPoints {
					v, _ := p.Attributes.Value("outcome")
					got[v.AsString()] = p.Value
				}
			}
		}
	}
	if got["truncate-ignored"] != 1 || got["written"] != 1 {
		t.Errorf("normalize.outcomes = %v", got)
	}
	settings[envV1Tables] = "salesforce.nope"
	if _, err := buildNormalize(d); err == nil {
		t.Error("an unknown table must fail the build")
	}
}
