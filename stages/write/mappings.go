package write

import (
	"context"
	"fmt"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/intent"
)

// own claims the reverse key of v2 object uid for in's v1 record (see
// idmap.Own); ownerOf reads the v1 id out of a stored value. Another record
// holding the key is a permanent v2-conflict.
func (d *deps) own(ctx context.Context, in intent.Intent, uid, key, value string, ownerOf func(string) string) error {
	other, err := d.ids.Own(ctx, key, value, func(v string) bool { return ownerOf(v) == in.V1ID })
	if err != nil {
		return err
	}
	if other != "" {
		err := fmt.Errorf("v2 %s %s already belongs to v1 record %s", in.Entity, uid, ownerOf(other))
		return pipeline.Permanent(pipeline.WithReason(err, "v2-conflict"))
	}
	return nil
}

// wholeValue is ownerOf for reverse keys whose value is the v1 id itself.
func wholeValue(v string) string { return v }
