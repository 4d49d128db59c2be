package main

import (
	"context"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
)

func TestMapStageAndLookupBuild(t *testing.T) {
	env := natstest.Start(t)
	env.Provision(t, streams.Config{})
	reader := sdkmetric.NewManualReader()
	settings := map[string]string{envClientID: "v1sync-test", envMapParentMaxDeliveries: "7"}
	d := stageDeps{NC: env.NC, JS: env.JS, Topology: streams.DefaultConfig(),
		Meters: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)),
		Env:    func(k string) string { return settings[k] }}

	st, err := buildMap(d)
	if err != nil {
		t.Fatal(err)
	}
	// An unknown prefix is counted and shows on the metrics.
	_, err = st.Handle(context.Background(), &pipeline.Message{
		Subject: streams.KVSubject(streams.BucketObjects, "nobody-table.1"), Data: []byte(`{}`), Deliveries: 1})
	if err != nil {
		t.Fatal(err)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	if got := outcomeCount(rm, "unknown_prefix"); got != 1 {
		t.Errorf("map.outcomes{outcome=unknown_prefix} = %d, want 1", got)
	}

	settings[envMapParentMaxDeliveries] = "zero"
	if _, err := buildMap(d); err == nil {
		t.Error("a bad setting must fail the build")
	}

	src, err := buildLookup(d)
	if err != nil {
		t.Fatal(err)
	}
	lookup := src.(*lookupResponder)
	if lookup.Ready() == nil {
		t.Error("ready before listening")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- lookup.Run(ctx) }()
	natstest.Eventually(t, 5*time.Second, "lookup ready", func() bool { return lookup.Ready() == nil })
	msg, err := env.NC.Request(streams.SubjectLookupMapping, []byte("project.sfid.unknown"), 2*time.Second)
	if err != nil || string(msg.Data) != "" {
		t.Errorf("lookup of an unknown key: %q, %v", msg.Data, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Error(err)
	}
}

func outcomeCount(rm metricdata.ResourceMetrics, outcome string) int64 {
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			sum, ok := m.Data.(metricdata.Sum[int64])
			if m.Name != "map.outcomes" || !ok {
				continue
			}
			for _, p := range sum.DataPoints {
				if v, _ := p.Attributes.Value("outcome"); v.AsString() == outcome {
					return p.Value
				}
			}
		}
	}
	return -1
}
