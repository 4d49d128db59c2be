package v2client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// TokenSource returns a bearer token for audience acting as v1Principal
// ("" = the service principal).
type TokenSource interface {
	Token(ctx context.Context, audience, v1Principal string) (string, error)
}

// Service selects one of the v2 services.
type Service int

const (
	Projects Service = iota
	Committees
)

// Object is a v2 resource as read by a single-object GET.
type Object struct {
	Body map[string]any
	// ETag is the storage revision, a bare decimal, to send back as If-Match.
	ETag string
}

// Client calls the v2 services. It is safe for concurrent use.
type Client struct {
	cfg    Config
	http   *http.Client
	tokens TokenSource
	nc     *nats.Conn
}

// New returns a client. nc serves the NATS lookups of finders.go.
func New(cfg Config, tokens TokenSource, nc *nats.Conn) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// Many workers call the same two hosts.
	tr.MaxIdleConnsPerHost = 256
	return &Client{cfg: cfg, http: &http.Client{Timeout: cfg.Timeout, Transport: tr}, tokens: tokens, nc: nc}, nil
}

// Timeout is the bound on one HTTP call.
func (c *Client) Timeout() time.Duration { return c.cfg.Timeout }

func (c *Client) target(s Service) (base, audience string) {
	if s == Projects {
		return c.cfg.ProjectURL, c.cfg.ProjectAudience
	}
	return c.cfg.CommitteeURL, c.cfg.CommitteeAudience
}

// Get reads one object with its ETag, as the service principal.
func (c *Client) Get(ctx context.Context, s Service, path string) (Object, error) {
	resp, err := c.do(ctx, s, http.MethodGet, path, "", nil, nil)
	if err != nil {
		return Object{}, err
	}
	return Object{Body: resp.body, ETag: resp.etag}, nil
}

// Post creates an object as principal and returns the response body.
func (c *Client) Post(ctx context.Context, s Service, path, principal string, hdr http.Header, body map[string]any) (map[string]any, error) {
	resp, err := c.do(ctx, s, http.MethodPost, path, principal, hdr, body)
	if err != nil {
		return nil, err
	}
	return resp.body, nil
}

// Put replaces an object as principal if it is still at etag.
func (c *Client) Put(ctx context.Context, s Service, path, principal, etag string, hdr http.Header, body map[string]any) (map[string]any, error) {
	resp, err := c.do(ctx, s, http.MethodPut, path, principal, withIfMatch(hdr, etag), body)
	if err != nil {
		return nil, err
	}
	return resp.body, nil
}

// Delete removes an object as principal if it is still at etag.
func (c *Client) Delete(ctx context.Context, s Service, path, principal, etag string, hdr http.Header) error {
	_, err := c.do(ctx, s, http.MethodDelete, path, principal, withIfMatch(hdr, etag), nil)
	return err
}

func withIfMatch(hdr http.Header, etag string) http.Header {
	h := hdr.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Set("If-Match", etag)
	return h
}

type response struct {
	body map[string]any
	etag string
}

// maxBody bounds what is read (and quoted in errors) from a response.
const maxBody = 1 << 20

func (c *Client) do(ctx context.Context, s Service, method, path, principal string, hdr http.Header, body map[string]any) (response, error) {
	base, aud := c.target(s)
	req, err := c.newRequest(ctx, method, base+path, body)
	if err != nil {
		return response{}, &Error{Method: method, Path: path, Kind: Rejected, Err: err}
	}
	tok, err := c.tokens.Token(ctx, aud, principal)
	if err != nil {
		return response{}, &Error{Method: method, Path: path, Kind: Transient, Err: err}
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := c.http.Do(req)
	if err != nil {
		return response{}, &Error{Method: method, Path: path, Kind: Transient, Err: err}
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxBody))
	if err != nil {
		return response{}, &Error{Method: method, Path: path, Kind: Transient, Err: fmt.Errorf("read body: %w", err)}
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		text := strings.TrimSpace(string(raw))
		return response{}, &Error{Method: method, Path: path, Status: res.StatusCode, Body: text,
			Kind: classify(method, res.StatusCode, text)}
	}
	out := response{etag: res.Header.Get("ETag")}
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &out.body); err != nil {
			return response{}, &Error{Method: method, Path: path, Status: res.StatusCode, Kind: Transient,
				Err: fmt.Errorf("decode body: %w", err)}
		}
	}
	return out, nil
}

func (c *Client) newRequest(ctx context.Context, method, url string, body map[string]any) (*http.Request, error) {
	if body == nil {
		return http.NewRequestWithContext(ctx, method, url, nil)
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	// Heimdall requires exactly this content type on POST /projects.
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}
