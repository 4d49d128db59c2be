package v2sim

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// call is one API request on its way through decode, auth and domain logic.
// handlerTimeout bounds one handler's storage work after the client is gone.
const handlerTimeout = 30 * time.Second

type call struct {
	s     *Sim
	r     *http.Request
	ctx   context.Context
	svc   service
	aud   string
	plan  plan
	v     checks
	id    identity
	authz string
	sync  bool
	now   time.Time
}

// reply is a successful answer; etag 0 means no ETag header.
type reply struct {
	status int
	body   any
	etag   uint64
}

type handler func(c *call) (*reply, error)

// route registers h for ep with the middleware every API route shares:
// faults, gateway auth, rendering.
func (s *Sim) route(mux *http.ServeMux, ep Endpoint, svc service, h handler) {
	aud := s.cfg.ProjectAudience
	if svc == committeeService {
		aud = s.cfg.CommitteeAudience
	}
	mux.HandleFunc(string(ep), func(w http.ResponseWriter, r *http.Request) {
		c := &call{s: s, r: r, ctx: r.Context(), svc: svc, aud: aud, plan: s.faults.decide(ep), now: time.Now().UTC()}
		s.serveCall(w, c, h)
	})
}

func (s *Sim) serveCall(w http.ResponseWriter, c *call, h handler) {
	if c.plan.latency > 0 {
		select {
		case <-time.After(c.plan.latency):
		case <-c.ctx.Done():
			return
		}
	}
	if c.plan.drop {
		hangUp(w)
		return
	}
	// Once a handler runs, a client hanging up does not cut its KV calls
	// short: a half-done write would skip the rollback the spec promises.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.ctx), handlerTimeout)
	defer cancel()
	c.ctx = ctx
	rep, err := c.run(h)
	if err == nil && c.plan.errAfter != 0 {
		err = domainErr(c.plan.errAfter, "%s", strings.ToLower(http.StatusText(c.plan.errAfter)))
	}
	if c.plan.dropAfter {
		hangUp(w)
		return
	}
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		ae.render(w, c.svc)
	case err != nil:
		domainErr(http.StatusInternalServerError, "%s", err.Error()).render(w, c.svc)
	default:
		rep.write(w)
	}
}

func (c *call) run(h handler) (*reply, error) {
	if c.plan.errStatus != 0 {
		return nil, domainErr(c.plan.errStatus, "%s", strings.ToLower(http.StatusText(c.plan.errStatus)))
	}
	if c.s.cfg.AuthMode == AuthGateway {
		if err := c.authenticate(); err != nil {
			return nil, &apiError{status: c.s.cfg.GatewayDenyStatus, bare: true}
		}
	}
	return h(c)
}

func (rep *reply) write(w http.ResponseWriter) {
	if rep.etag != 0 {
		w.Header().Set("ETag", strconv.FormatUint(rep.etag, 10))
	}
	if rep.body == nil {
		w.WriteHeader(rep.status)
		return
	}
	writeJSON(w, rep.status, rep.body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// hangUp closes the client connection without an answer (status 0).
func hangUp(w http.ResponseWriter) {
	if rec, ok := w.(*statusRecorder); ok {
		rec.note(0)
	}
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// authenticate validates the bearer token against the service audience.
// In direct mode a failure is the Goa 500 fault the real hook produces.
func (c *call) authenticate() error {
	if c.id.principal != "" {
		return nil
	}
	c.authz = c.r.Header.Get("Authorization")
	token := c.authz
	if _, after, ok := strings.Cut(token, " "); ok {
		token = after // Goa strips everything up to the first space
	}
	id, err := c.s.ver.verify(token, c.aud)
	if err != nil {
		return faultErr("invalid token: " + err.Error())
	}
	c.id = id
	return nil
}

// ready ends decoding: reports validation errors, then authenticates.
func (c *call) ready() error {
	if err := c.v.err(); err != nil {
		return err
	}
	return c.authenticate()
}

// pathUUID reads a path parameter that Goa validates as a UUID.
func (c *call) pathUUID(name string) string {
	v := c.r.PathValue(name)
	c.v.format(name, &v, fmtUUID)
	return v
}

// version checks the optional (or, on member routes, required) ?v=1.
func (c *call) version(required bool) {
	vals, ok := c.r.URL.Query()["v"]
	if !ok {
		if required {
			c.v.required("version", "query string", false)
		}
		return
	}
	c.v.enum("version", &vals[0], []string{"1"})
}

// boolHeader parses a boolean header the way Goa does; absent is false.
func (c *call) boolHeader(name string) bool {
	raw := c.r.Header.Get(name)
	if raw == "" {
		return false
	}
	b, err := strconv.ParseBool(raw)
	if err != nil {
		c.v.add(goaErr("invalid_field_type", "invalid value %q for %q, must be a boolean", raw, name))
	}
	return b
}

func (c *call) xSync() { c.sync = c.boolHeader("X-Sync") }

// decode reads the JSON body into v: empty is missing_payload, bad JSON or
// wrong types decode_payload.
func (c *call) decode(v any) error {
	b, err := io.ReadAll(io.LimitReader(c.r.Body, bucketMaxValueSize))
	if err != nil {
		return goaErr("decode_payload", "%s", err.Error())
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return goaErr("missing_payload", "missing required payload")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return goaErr("decode_payload", "%s", err.Error())
	}
	return nil
}

// ifMatch parses If-Match as the bare decimal revision; a quoted, weak or
// "*" value is as bad as a missing one (400, never 428).
func (c *call) ifMatch() (uint64, error) {
	raw := c.r.Header.Get("If-Match")
	rev, err := strconv.ParseUint(raw, 10, 64)
	if err == nil {
		return rev, nil
	}
	if c.svc == projectService {
		return 0, domainErr(http.StatusBadRequest, "validation failed")
	}
	if raw == "" {
		return 0, domainErr(http.StatusBadRequest, "ETag is required for update operations")
	}
	return 0, domainErr(http.StatusBadRequest, "invalid ETag format: %q", raw)
}

// delivery says how this call's messages travel.
func (c *call) delivery() delivery {
	d := delivery{sync: c.sync, fail: c.plan.failPublish, delay: c.s.cfg.EventDelay, ep: c.plan.ep}
	if c.plan.eventDelay != nil {
		d.delay = *c.plan.eventDelay
	}
	return d
}

func ok(body any) *reply      { return &reply{status: http.StatusOK, body: body} }
func created(body any) *reply { return &reply{status: http.StatusCreated, body: body} }
func noContent() *reply       { return &reply{status: http.StatusNoContent} }
