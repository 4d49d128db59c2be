package v2sim

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/linuxfoundation/v1sync/test/natstest"
)

// harness is a simulator on an embedded NATS server plus an HTTP client
// holding valid tokens for both services.
type harness struct {
	t       testing.TB
	env     *natstest.Env
	sim     *Sim
	hc      *http.Client
	projTok string
	comTok  string
}

const testPrincipal = "v1sync@clients"

func newHarness(t testing.TB, tweak ...func(*Config)) *harness {
	t.Helper()
	env := natstest.Start(t)
	cfg := DefaultConfig()
	cfg.EventDelay = Delay{}
	cfg.SigningKey, cfg.SigningKeyID = testKey(t)
	for _, f := range tweak {
		f(&cfg)
	}
	sim := StartT(t, env.NC, cfg)
	h := &harness{t: t, env: env, sim: sim, hc: &http.Client{Timeout: 10 * time.Second}}
	h.projTok = h.token(testPrincipal, cfg.ProjectAudience)
	h.comTok = h.token(testPrincipal, cfg.CommitteeAudience)
	return h
}

func (h *harness) token(principal, aud string) string {
	h.t.Helper()
	tok, err := h.sim.Token(principal, aud)
	if err != nil {
		h.t.Fatal(err)
	}
	return tok
}

// resp is a decoded answer.
type resp struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (r *resp) str(key string) string {
	v, _ := r.body[key].(string)
	return v
}

// req sends a request; hdr may set Authorization to override the default
// token of the path's service ("" removes it).
func (h *harness) req(method, path string, body any, hdr ...string) *resp {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	r, err := http.NewRequest(method, h.sim.URL()+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	tok := h.projTok
	if strings.HasPrefix(path, "/committees") {
		tok = h.comTok
	}
	r.Header.Set("Authorization", "Bearer "+tok)
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			r.Header.Del(hdr[i])
			continue
		}
		r.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := h.hc.Do(r)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := &resp{status: res.StatusCode, header: res.Header, raw: raw}
	_ = json.Unmarshal(raw, &out.body)
	return out
}

// must asserts the status and returns the answer.
func (r *resp) must(t testing.TB, status int) *resp {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.raw)
	}
	return r
}

func (h *harness) etag(path string) string {
	h.t.Helper()
	r := h.req("GET", path, nil).must(h.t, 200)
	return r.header.Get("ETag")
}

// newProject creates a project under ROOT with extra fields merged in.
func (h *harness) newProject(slug string, extra map[string]any) string {
	h.t.Helper()
	body := map[string]any{"slug": slug, "name": "Project " + slug, "description": "d", "parent_uid": h.sim.RootUID()}
	for k, v := range extra {
		body[k] = v
	}
	return h.req("POST", "/projects", body).must(h.t, 201).str("uid")
}

func (h *harness) newCommittee(projectUID, name string, extra map[string]any) string {
	h.t.Helper()
	body := map[string]any{"project_uid": projectUID, "name": name, "category": "Board"}
	for k, v := range extra {
		body[k] = v
	}
	return h.req("POST", "/committees", body).must(h.t, 201).str("uid")
}

func (h *harness) newMember(cuid, email string, extra map[string]any) string {
	h.t.Helper()
	body := map[string]any{"email": email}
	for k, v := range extra {
		body[k] = v
	}
	return h.req("POST", "/committees/"+cuid+"/members?v=1", body).must(h.t, 201).str("uid")
}

// events records what is published on a subject pattern.
type events struct {
	mu   sync.Mutex
	msgs []*nats.Msg
}

func (h *harness) listen(subject string) *events {
	h.t.Helper()
	ev := &events{}
	sub, err := h.env.NC.Subscribe(subject, func(m *nats.Msg) {
		ev.mu.Lock()
		ev.msgs = append(ev.msgs, m)
		ev.mu.Unlock()
	})
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := h.env.NC.Flush(); err != nil {
		h.t.Fatal(err)
	}
	return ev
}

func (e *events) all() []*nats.Msg {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*nats.Msg(nil), e.msgs...)
}

// waitFor polls until a message on subject satisfies ok and returns it.
func (e *events) waitFor(t testing.TB, subject string, ok func(IndexEvent) bool) IndexEvent {
	t.Helper()
	var found IndexEvent
	natstest.Eventually(t, 5*time.Second, "event on "+subject, func() bool {
		for _, m := range e.all() {
			var ev IndexEvent
			if m.Subject == subject && json.Unmarshal(m.Data, &ev) == nil && ok(ev) {
				found = ev
				return true
			}
		}
		return false
	})
	return found
}

func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	natstest.Eventually(t, 5*time.Second, what, cond)
}

// rpc makes a NATS request to one of the simulator's reply subjects.
func (h *harness) rpc(subject, body string) string {
	h.t.Helper()
	m, err := h.env.NC.Request(subject, []byte(body), 5*time.Second)
	if err != nil {
		h.t.Fatalf("request %s: %v", subject, err)
	}
	return string(m.Data)
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var (
	testKeyOnce sync.Once
	testKeyVal  *rsa.PrivateKey
)

// testKey shares one RSA key across tests: generating one costs more than
// most tests.
func testKey(t testing.TB) (*rsa.PrivateKey, string) {
	testKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		testKeyVal = k
	})
	return testKeyVal, "test-key"
}
