package write

import (
	"strings"

	"github.com/linuxfoundation/v1sync/pipeline"
)

func isPermanentReason(err error, reason pipeline.Reason) bool {
	return pipeline.IsPermanent(err) && pipeline.ReasonOf(err) == reason
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
