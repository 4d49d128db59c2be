package streams

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// wal-listener's stream, for sites that already run it. Its Helm chart
// creates the stream; v1sync only adds the bridge's durable consumer.
const (
	WALListenerStream   = "wal_listener"
	WALListenerSubjects = "wal_listener.*"
	// StageWALBridge republishes wal-listener events into V1_CHANGES.
	StageWALBridge = "walbridge"
)

// WALListenerStreamConfig is the stream as wal-listener's chart creates it
// (file, limits, 14 days), for tests and the demo.
func WALListenerStreamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name: WALListenerStream, Subjects: []string{WALListenerSubjects},
		Retention: jetstream.LimitsPolicy, Storage: jetstream.FileStorage,
		MaxAge: 336 * time.Hour, Compression: jetstream.S2Compression, Replicas: 1,
	}
}

// WALBridgeConsumer is the bridge's durable consumer on wal_listener.
func (c Config) WALBridgeConsumer() ConsumerSpec {
	return ConsumerSpec{Stream: WALListenerStream, Config: jetstream.ConsumerConfig{
		Durable: StageWALBridge, Description: "wal-listener events into V1_CHANGES",
		FilterSubject: WALListenerSubjects, AckPolicy: jetstream.AckExplicitPolicy,
		DeliverPolicy: jetstream.DeliverAllPolicy, AckWait: c.AckWait, MaxDeliver: c.MaxDeliver,
		MaxAckPending: 1000,
	}}
}

// ProvisionWALBridge creates or updates the bridge's consumer. It is separate
// from Provision because the stream belongs to wal-listener: it must exist.
func ProvisionWALBridge(ctx context.Context, js jetstream.JetStream, c Config) (Change, error) {
	if err := c.Validate(); err != nil {
		return Change{}, err
	}
	if _, err := js.Stream(ctx, WALListenerStream); errors.Is(err, jetstream.ErrStreamNotFound) {
		return Change{}, fmt.Errorf("stream %s not found: wal-listener (its Helm chart) creates it; the bridge only reads it", WALListenerStream)
	} else if err != nil {
		return Change{}, fmt.Errorf("stream %s: %w", WALListenerStream, err)
	}
	spec := c.WALBridgeConsumer()
	a, err := provisionConsumer(ctx, js, spec)
	return Change{"consumer", spec.Stream + "/" + spec.Config.Durable, a}, err
}
