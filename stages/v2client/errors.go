package v2client

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Kind says what a failed call means for the caller.
type Kind int

const (
	// Transient: 5xx, timeouts, connection errors, auth hiccups; retry later.
	Transient Kind = iota
	// Stale: a conditional write lost a race (409 on If-Match); re-GET and retry.
	Stale
	// Conflict: a uniqueness rule refused the write (409 on create, or a
	// rename onto a taken slug/name/email).
	Conflict
	// NotFound: the object does not exist (404).
	NotFound
	// Rejected: the request is invalid (400 and other 4xx); retrying the
	// same request cannot succeed.
	Rejected
)

func (k Kind) String() string {
	return [...]string{"transient", "stale", "conflict", "not-found", "rejected"}[k]
}

// Error is a failed call. Body is the service's error body (never a token).
type Error struct {
	Method string
	Path   string
	Status int // 0 when no response arrived
	Body   string
	Kind   Kind
	Err    error // transport error, if any
}

func (e *Error) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("v2 %s %s: %v", e.Method, e.Path, e.Err)
	}
	return fmt.Sprintf("v2 %s %s: %d %s: %s", e.Method, e.Path, e.Status, e.Kind, e.Body)
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the kind of a v2 error; any other error is Transient.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Transient
}

// Is reports whether err is a v2 error of kind k.
func Is(err error, k Kind) bool { return err != nil && KindOf(err) == k }

// staleMarkers are the services' messages for a revision mismatch; a 409 on a
// conditional write without one of them is a uniqueness conflict.
var staleMarkers = []string{"revision mismatch", "modified by another process"}

func classify(method string, status int, body string) Kind {
	switch {
	case status >= 500, status == http.StatusUnauthorized, status == http.StatusForbidden,
		status == http.StatusTooManyRequests, status == http.StatusRequestTimeout:
		// Heimdall's bare 401/403 come from key rotation or misconfiguration,
		// which an operator fixes; retrying keeps the messages.
		return Transient
	case status == http.StatusNotFound:
		return NotFound
	case status == http.StatusConflict:
		if method == http.MethodPost {
			return Conflict
		}
		for _, m := range staleMarkers {
			if strings.Contains(body, m) {
				return Stale
			}
		}
		if strings.Contains(body, "already exists") {
			return Conflict
		}
		// An unrecognised 409 on a conditional write: re-reading is harmless.
		return Stale
	default:
		return Rejected
	}
}
