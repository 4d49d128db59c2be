package pipeline

import (
	"errors"
	"fmt"
	"time"
)

// ErrPermanent marks an error that no retry can fix (undecodable input, a
// validation failure). errors.Is(err, ErrPermanent) tells a permanent error.
var ErrPermanent = errors.New("permanent")

// Permanent marks err as permanent: the runner dead-letters the input at once.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &classified{err: err, permanent: true}
}

// Retry marks err as transient and asks for the next attempt no sooner than
// after. A zero after leaves the delay to the runner's backoff.
func Retry(err error, after time.Duration) error {
	if err == nil {
		return nil
	}
	return &classified{err: err, after: after}
}

// IsPermanent reports whether err, or an error it wraps, was built by Permanent.
func IsPermanent(err error) bool { return errors.Is(err, ErrPermanent) }

// RetryAfter returns the delay requested with Retry, if any.
func RetryAfter(err error) (time.Duration, bool) {
	var c *classified
	if errors.As(err, &c) && !c.permanent && c.after > 0 {
		return c.after, true
	}
	return 0, false
}

// Reason is a short, stable class of an error ("parent-unmapped",
// "malformed", "v2-rejected") that the DLQ records beside the error text so
// dead letters can be filtered and redriven by cause.
type Reason string

// WithReason attaches a reason to err, keeping its class.
func WithReason(err error, reason Reason) error {
	if err == nil {
		return nil
	}
	return &reasoned{err: err, reason: reason}
}

// ReasonOf returns the reason attached to err, or "" if none.
func ReasonOf(err error) Reason {
	var r *reasoned
	if errors.As(err, &r) {
		return r.reason
	}
	return ""
}

type classified struct {
	err       error
	permanent bool
	after     time.Duration
}

func (c *classified) Error() string { return c.err.Error() }
func (c *classified) Unwrap() error { return c.err }
func (c *classified) Is(target error) bool {
	return c.permanent && target == ErrPermanent
}

type reasoned struct {
	err    error
	reason Reason
}

func (r *reasoned) Error() string { return r.err.Error() }
func (r *reasoned) Unwrap() error { return r.err }

// KeyError carries the stage and v1 key an error happened for, so logs and
// dead letters name the record without parsing the message.
type KeyError struct {
	Stage string
	Key   string
	Err   error
}

func (e *KeyError) Error() string { return fmt.Sprintf("%s %s: %v", e.Stage, e.Key, e.Err) }
func (e *KeyError) Unwrap() error { return e.Err }
