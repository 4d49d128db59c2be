package write

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/linuxfoundation/v1sync/stages/intent"
)

// applied is what the version guard remembers per v1 key in v1sync-state.
type applied struct {
	// Rev is the SourceRevision of the last applied intent.
	Rev uint64 `json:"rev"`
	// Hash is the content of the last applied upsert; an upsert with the same
	// content is unchanged without asking v2 (server-side enrichment would
	// otherwise make some objects look changed forever).
	Hash string `json:"hash,omitempty"`
}

// guard is the version guard: per v1 key, the last applied source revision.
type guard struct {
	kv jetstream.KeyValue
}

// guardKey is the v1sync-state key for a v1 key.
func guardKey(v1Key string) string { return "write.rev." + v1Key }

// last returns the stored state and its KV revision (0 when absent).
func (g guard) last(ctx context.Context, v1Key string) (applied, uint64, error) {
	e, err := g.kv.Get(ctx, guardKey(v1Key))
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return applied{}, 0, nil
	}
	if err != nil {
		return applied{}, 0, fmt.Errorf("version guard %s: %w", v1Key, err)
	}
	var a applied
	if json.Unmarshal(e.Value(), &a) != nil {
		// An unreadable guard must not block the key forever.
		return applied{}, e.Revision(), nil
	}
	return a, e.Revision(), nil
}

// record stores a as the last applied state with CAS on kvRev. If another
// writer got there first, the stored revision wins when it is newer.
func (g guard) record(ctx context.Context, v1Key string, a applied, kvRev uint64) error {
	val, _ := json.Marshal(a)
	for range 3 {
		var err error
		if kvRev == 0 {
			_, err = g.kv.Create(ctx, guardKey(v1Key), val)
		} else {
			_, err = g.kv.Update(ctx, guardKey(v1Key), val, kvRev)
		}
		if err == nil {
			return nil
		}
		if !isCASConflict(err) {
			return fmt.Errorf("version guard %s: %w", v1Key, err)
		}
		cur, rev, gerr := g.last(ctx, v1Key)
		if gerr != nil {
			return gerr
		}
		if cur.Rev >= a.Rev {
			return nil
		}
		kvRev = rev
	}
	return fmt.Errorf("version guard %s: lost the CAS race 3 times", v1Key)
}

func isCASConflict(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence {
		return true
	}
	return errors.Is(err, jetstream.ErrKeyExists)
}

// contentHash identifies what an upsert asks v2 to hold.
func contentHash(in intent.Intent) string {
	h := sha256.New()
	for _, part := range [][]byte{
		[]byte(in.ProjectUID), []byte(in.CommitteeUID), []byte(in.ContactSFID),
		[]byte(in.ProjectSFID), []byte(in.CommitteeSFID), in.Base, in.Settings,
	} {
		h.Write(part)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}
