package v2sim

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
)

// service tells which of the two services answers, since each has its own
// domain error shape.
type service int

const (
	projectService service = iota
	committeeService
)

// apiError is any non-2xx answer. Exactly one rendering applies:
// bare (Heimdall), goa (decode/validation/fault) or domain (per service).
type apiError struct {
	status int
	goa    string // Goa error name; "" for domain errors
	msg    string
	bare   bool
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s", e.status, e.msg) }

// domainErr is a service's own error (shapes 2 and 3 of spec §1.2).
func domainErr(status int, format string, args ...any) *apiError {
	return &apiError{status: status, msg: fmt.Sprintf(format, args...)}
}

// goaErr is a Goa decode/validation error: always 400 (shape 1).
func goaErr(name, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, goa: name, msg: fmt.Sprintf(format, args...)}
}

// faultErr is what Goa's default formatter makes of a non-Goa error, such
// as a token the auth hook rejects.
func faultErr(msg string) *apiError {
	return &apiError{status: http.StatusInternalServerError, goa: "fault", msg: msg}
}

// mergeGoa joins several validation errors the way Goa merges them: the
// first error's name, messages joined.
func mergeGoa(errs []*apiError) *apiError {
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.msg
	}
	return goaErr(errs[0].goa, "%s", strings.Join(msgs, "; "))
}

// goaErrorHeader names the declared error a status maps to.
var goaErrorHeader = map[int]string{
	400: "BadRequest", 403: "Forbidden", 404: "NotFound", 409: "Conflict",
	500: "InternalServerError", 503: "ServiceUnavailable",
}

type goaBody struct {
	Name      string `json:"name"`
	ID        string `json:"id"`
	Message   string `json:"message"`
	Temporary bool   `json:"temporary"`
	Timeout   bool   `json:"timeout"`
	Fault     bool   `json:"fault"`
}

type projectErrBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type committeeErrBody struct {
	Message string `json:"message"`
}

// render writes e in the shape the answering service uses.
func (e *apiError) render(w http.ResponseWriter, svc service) {
	switch {
	case e.bare:
		w.WriteHeader(e.status)
	case e.goa != "":
		writeJSON(w, e.status, goaBody{Name: e.goa, ID: goaID(), Message: e.msg, Fault: e.goa == "fault"})
	case svc == projectService:
		w.Header().Set("goa-error", goaErrorHeader[e.status])
		writeJSON(w, e.status, projectErrBody{Code: strconv.Itoa(e.status), Message: e.msg})
	default:
		w.Header().Set("goa-error", goaErrorHeader[e.status])
		writeJSON(w, e.status, committeeErrBody{Message: e.msg})
	}
}

const idAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// goaID is the short random id Goa puts in every error body.
func goaID() string {
	b := make([]byte, 8)
	for i := range b {
		b[i] = idAlphabet[rand.IntN(len(idAlphabet))]
	}
	return string(b)
}
