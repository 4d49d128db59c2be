package v2sim

import (
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// checks accumulates Goa-style validation errors; Goa reports all of a
// payload's violations in one merged 400.
type checks struct {
	errs []*apiError
}

func (c *checks) add(e *apiError) { c.errs = append(c.errs, e) }

func (c *checks) err() error {
	if e := mergeGoa(c.errs); e != nil {
		return e
	}
	return nil
}

// required flags a missing attribute; ctx is "body", "query string"…
func (c *checks) required(name, ctx string, present bool) {
	if !present {
		c.add(goaErr("missing_field", "%q is missing from %s", name, ctx))
	}
}

func (c *checks) enum(name string, val *string, allowed []string) {
	if val == nil {
		return
	}
	for _, a := range allowed {
		if *val == a {
			return
		}
	}
	quoted := make([]string, len(allowed))
	for i, a := range allowed {
		quoted[i] = fmt.Sprintf("%q", a)
	}
	c.add(goaErr("invalid_enum_value", "value of %s must be one of %s but got value %q", name, strings.Join(quoted, ", "), *val))
}

func (c *checks) pattern(name string, val *string, re *regexp.Regexp) {
	if val != nil && !re.MatchString(*val) {
		c.add(goaErr("invalid_pattern", "%s must match the regexp %q but got value %q", name, re.String(), *val))
	}
}

func (c *checks) maxLen(name string, val *string, max int) {
	if val != nil && len([]rune(*val)) > max {
		c.add(goaErr("invalid_length", "length of %s must be lesser or equal than %d but got value %q (len=%d)", name, max, *val, len([]rune(*val))))
	}
}

func (c *checks) maxItems(name string, n, max int) {
	if n > max {
		c.add(goaErr("invalid_length", "length of %s must be lesser or equal than %d but got %d items", name, max, n))
	}
}

// Goa string formats used by the two designs.
const (
	fmtURI      = "uri"
	fmtEmail    = "email"
	formatDate  = "date"
	fmtDateTime = "date-time"
	fmtUUID     = "uuid"
)

var uuidRE = regexp.MustCompile(`^(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func (c *checks) format(name string, val *string, format string) {
	if val == nil {
		return
	}
	if why := formatError(*val, format); why != "" {
		c.add(goaErr("invalid_format", "%s must be formatted as a %s but got value %q, %s", name, format, *val, why))
	}
}

// formatError returns why v is not in format, or "".
func formatError(v, format string) string {
	var err error
	switch format {
	case fmtURI:
		_, err = url.ParseRequestURI(v)
	case fmtEmail:
		_, err = mail.ParseAddress(v)
	case formatDate:
		_, err = time.Parse(time.DateOnly, v)
	case fmtDateTime:
		_, err = time.Parse(time.RFC3339, v)
	case fmtUUID:
		if !uuidRE.MatchString(v) {
			return "invalid uuid"
		}
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func isUUID(s string) bool { return uuidRE.MatchString(s) }
