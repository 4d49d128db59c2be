package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/intent"
	"github.com/linuxfoundation/v1sync/streams"
	"github.com/linuxfoundation/v1sync/test/natstest"
	v2sim "github.com/linuxfoundation/v1sync/test/sim/v2"
)

func TestWriteStageBuildsFromSettings(t *testing.T) {
	env := natstest.Start(t)
	env.Provision(t, streams.Config{})
	sim := v2sim.StartT(t, env.NC, v2sim.DefaultConfig())
	keyFile := filepath.Join(t.TempDir(), "heimdall.pem")
	if err := os.WriteFile(keyFile, sim.SigningKeyPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{
		envProjectURL: sim.ProjectURL(), envCommitteeURL: sim.CommitteeURL(),
		envHeimdallJWKSURL: sim.JWKSURL(), envHeimdallKeyFile: keyFile,
		envWriteSkipNotifications: "true",
	}
	reader := sdkmetric.NewManualReader()
	d := stageDeps{NC: env.NC, JS: env.JS, Topology: streams.DefaultConfig(),
		Meters: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)),
		Env:    func(k string) string { return settings[k] }}
	st, err := buildWrite(d)
	if err != nil {
		t.Fatal(err)
	}
	in := intent.Intent{Entity: intent.Project, Op: intent.Upsert, Key: "salesforce-project__c.a0P1", V1ID: "a0P1",
		SourceRevision: 1, Base: []byte(`{"slug":"built","name":"Built","description":"","parent_uid":"` + sim.RootUID() + `"}`)}
	data, _ := in.Marshal()
	if _, err := st.Handle(context.Background(), &pipeline.Message{Data: data, Deliveries: 1}); err != nil {
		t.Fatal(err)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	if got := writeOutcome(rm, "created"); got != 1 {
		t.Errorf("write.outcomes{outcome=created} = %d, want 1", got)
	}

	// The key is a secret: a bad one fails without being quoted.
	secret := "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1ieXRlcw==\n-----END PRIVATE KEY-----\n"
	delete(settings, envHeimdallKeyFile)
	settings[envHeimdallKeyPEM] = secret
	if _, err := buildWrite(d); err == nil || strings.Contains(err.Error(), "c2VjcmV0") {
		t.Fatalf("bad key: %v", err)
	}
	delete(settings, envHeimdallKeyPEM)
	if _, err := buildWrite(d); err == nil || !strings.Contains(err.Error(), envHeimdallKeyFile) {
		t.Fatalf("missing key: %v", err)
	}
}

func writeOutcome(rm metricdata.ResourceMetrics, outcome string) int64 {
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			sum, ok := m.Data.(metricdata.Sum[int64])
			if m.Name != "write.outcomes" || !ok {
				continue
			}
			for _, dp := range sum.DataPoints {
				if v, _ := dp.Attributes.Value("outcome"); v.AsString() == outcome {
					return dp.Value
				}
			}
		}
	}
	return -1
}
