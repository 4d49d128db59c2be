package pipeline

import (
	"strings"

	"github.com/linuxfoundation/v1sync/streams"
)

// keyOf returns the ordering key of in: the stage's own Keyer when it has
// one, else DefaultKey.
func (r *Runner) keyOf(in *Message) string {
	if k, ok := r.stage.(Keyer); ok {
		if key := k.Key(in); key != "" {
			return key
		}
	}
	return DefaultKey(in)
}

// DefaultKey is the V1sync-Key header, else the key of a KV subject
// ($KV.<bucket>.<key>), else the subject.
func DefaultKey(in *Message) string {
	if key := in.Header.Get(streams.HeaderKey); key != "" {
		return key
	}
	if rest, ok := strings.CutPrefix(in.Subject, "$KV."); ok {
		if _, key, ok := strings.Cut(rest, "."); ok && key != "" {
			return key
		}
	}
	return in.Subject
}
