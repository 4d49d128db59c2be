package write

import (
	"context"
	"fmt"

	"github.com/linuxfoundation/v1sync/pipeline"
	"github.com/linuxfoundation/v1sync/stages/intent"
)

// own claims the reverse key of v2 object uid for in's v1 record (see
// idmap.Own); another record holding it is a permanent v2-conflict.
func (d *deps) own(ctx context.Context, in intent.Intent, uid, key, value string, sameOwner func(string) bool) error {
	other, err := d.ids.Own(ctx, key, value, sameOwner)
	if err != nil {
		return err
	}
	if other != "" {
		return ownerConflict(in, uid, other)
	}
	return nil
}

func ownerConflict(in intent.Intent, uid, owner string) error {
	err := fmt.Errorf("v2 %s %s already belongs to v1 record %s", in.Entity, uid, owner)
	return pipeline.Permanent(pipeline.WithReason(err, "v2-conflict"))
}
