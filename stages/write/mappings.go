package write

import (
	"context"
	"errors"
	"sync"
)

// putAll writes independent mapping keys concurrently (key, value, key,
// value, ...): each write is a round trip, and the intent waits for all.
func (d *deps) putAll(ctx context.Context, kv ...string) error {
	errs := make([]error, len(kv)/2)
	var wg sync.WaitGroup
	for i := 0; i+1 < len(kv); i += 2 {
		wg.Go(func() { errs[i/2] = d.ids.Put(ctx, kv[i], kv[i+1]) })
	}
	wg.Wait()
	return errors.Join(errs...)
}
