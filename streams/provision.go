package streams

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/nats-io/nats.go/jetstream"
)

// Action says what Provision did to one resource.
type Action string

const (
	Created   Action = "created"
	Updated   Action = "updated"
	Unchanged Action = "unchanged"
)

// Change records what Provision did to one stream, bucket or consumer.
type Change struct {
	Kind   string // "stream", "bucket" or "consumer"
	Name   string
	Action Action
}

func (c Change) String() string { return fmt.Sprintf("%s %s %s", c.Kind, c.Name, c.Action) }

// Provision creates every stream, bucket and consumer of the topology that is
// missing and updates those whose settings differ. Running it twice changes
// nothing the second time. A consumer whose deliver policy differs cannot be
// updated in place (the server forbids it); Provision then fails and says so.
func Provision(ctx context.Context, js jetstream.JetStream, c Config) ([]Change, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	var changes []Change
	for _, sc := range c.Streams() {
		a, err := provisionStream(ctx, js, sc)
		if err != nil {
			return changes, err
		}
		changes = append(changes, Change{"stream", sc.Name, a})
	}
	for _, kc := range c.Buckets() {
		a, err := provisionBucket(ctx, js, kc)
		if err != nil {
			return changes, err
		}
		changes = append(changes, Change{"bucket", kc.Bucket, a})
	}
	for _, cs := range c.Consumers() {
		a, err := provisionConsumer(ctx, js, cs)
		if err != nil {
			return changes, err
		}
		changes = append(changes, Change{"consumer", cs.Stream + "/" + cs.Config.Durable, a})
	}
	return changes, nil
}

func provisionStream(ctx context.Context, js jetstream.JetStream, want jetstream.StreamConfig) (Action, error) {
	s, err := js.Stream(ctx, want.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		if _, err := js.CreateStream(ctx, want); err != nil {
			return "", fmt.Errorf("create stream %s: %w", want.Name, err)
		}
		return Created, nil
	}
	if err != nil {
		return "", fmt.Errorf("stream %s: %w", want.Name, err)
	}
	if streamMatches(s.CachedInfo().Config, want) {
		return Unchanged, nil
	}
	if _, err := js.UpdateStream(ctx, want); err != nil {
		return "", fmt.Errorf("update stream %s: %w", want.Name, err)
	}
	return Updated, nil
}

func streamMatches(have, want jetstream.StreamConfig) bool {
	return slices.Equal(have.Subjects, want.Subjects) && have.Description == want.Description &&
		have.Retention == want.Retention && have.Storage == want.Storage &&
		have.Replicas == want.Replicas && have.MaxAge == want.MaxAge &&
		have.Duplicates == want.Duplicates && have.Discard == want.Discard
}

func provisionBucket(ctx context.Context, js jetstream.JetStream, want jetstream.KeyValueConfig) (Action, error) {
	s, err := js.Stream(ctx, KVStream(want.Bucket))
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		if _, err := js.CreateKeyValue(ctx, want); err != nil {
			return "", fmt.Errorf("create bucket %s: %w", want.Bucket, err)
		}
		return Created, nil
	}
	if err != nil {
		return "", fmt.Errorf("bucket %s: %w", want.Bucket, err)
	}
	have := s.CachedInfo().Config
	if have.MaxMsgsPerSubject == int64(want.History) && have.Replicas == want.Replicas &&
		have.Description == want.Description && have.Storage == want.Storage {
		return Unchanged, nil
	}
	if _, err := js.UpdateKeyValue(ctx, want); err != nil {
		return "", fmt.Errorf("update bucket %s: %w", want.Bucket, err)
	}
	return Updated, nil
}

func provisionConsumer(ctx context.Context, js jetstream.JetStream, want ConsumerSpec) (Action, error) {
	name := want.Stream + "/" + want.Config.Durable
	cons, err := js.Consumer(ctx, want.Stream, want.Config.Durable)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		if _, err := js.CreateConsumer(ctx, want.Stream, want.Config); err != nil {
			return "", fmt.Errorf("create consumer %s: %w", name, err)
		}
		return Created, nil
	}
	if err != nil {
		return "", fmt.Errorf("consumer %s: %w", name, err)
	}
	have := cons.CachedInfo().Config
	if have.DeliverPolicy != want.Config.DeliverPolicy {
		return "", fmt.Errorf("consumer %s: deliver policy is %s, want %s; the server cannot change it in place: delete the consumer (nats consumer rm %s %s) and provision again",
			name, have.DeliverPolicy, want.Config.DeliverPolicy, want.Stream, want.Config.Durable)
	}
	if consumerMatches(have, want.Config) {
		return Unchanged, nil
	}
	if _, err := js.UpdateConsumer(ctx, want.Stream, want.Config); err != nil {
		return "", fmt.Errorf("update consumer %s: %w", name, err)
	}
	return Updated, nil
}

func consumerMatches(have, want jetstream.ConsumerConfig) bool {
	return have.Description == want.Description && have.FilterSubject == want.FilterSubject &&
		slices.Equal(have.FilterSubjects, want.FilterSubjects) &&
		have.AckPolicy == want.AckPolicy && have.AckWait == want.AckWait &&
		have.MaxDeliver == want.MaxDeliver && have.MaxAckPending == want.MaxAckPending
}
