package v2sim

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Sim is a running simulator of the project and committee services.
type Sim struct {
	cfg     Config
	nc      *nats.Conn
	st      *store
	key     *signingKey
	ver     *verifier
	faults  *faultTable
	calls   *callCounter
	users   *directory
	rootUID string

	ln   net.Listener
	srv  *http.Server
	subs []*nats.Subscription

	// bg tracks delayed events and internal flows; stop cancels them.
	bg   sync.WaitGroup
	stop context.CancelFunc
	life context.Context
}

// Start opens the buckets on nc's JetStream, seeds ROOT, serves the NATS
// request/reply subjects and starts the HTTP listener.
func Start(ctx context.Context, nc *nats.Conn, cfg Config) (*Sim, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("v2sim: jetstream: %w", err)
	}
	st, err := openStore(ctx, js)
	if err != nil {
		return nil, err
	}
	key, err := cfg.signingKey()
	if err != nil {
		return nil, err
	}
	s := &Sim{cfg: cfg, nc: nc, st: st, key: key, faults: newFaultTable(cfg.Faults),
		calls: newCallCounter(), users: newDirectory(cfg.Users)}
	s.ver = newVerifier(staticKey{key})
	if cfg.JWKSURL != "" {
		s.ver = newVerifier(newRemoteKeys(cfg.JWKSURL))
	}
	s.life, s.stop = context.WithCancel(context.Background())
	if err := s.open(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Sim) open(ctx context.Context) error {
	if err := s.st.follow(s.life); err != nil {
		return err
	}
	uid, err := s.seedRoot(ctx)
	if err != nil {
		return err
	}
	s.rootUID = uid
	if err := s.serveRPC(); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("v2sim: listen %s: %w", s.cfg.Addr, err)
	}
	s.ln = ln
	s.srv = &http.Server{Handler: s.handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return nil
}

// StartT starts a simulator for a test and closes it when the test ends.
func StartT(t testing.TB, nc *nats.Conn, cfg Config) *Sim {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Start(ctx, nc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// Serve runs a simulator until ctx ends; the standalone entry point.
func Serve(ctx context.Context, nc *nats.Conn, cfg Config, ready func(*Sim)) error {
	s, err := Start(ctx, nc, cfg)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(s)
	}
	<-ctx.Done()
	return s.Close()
}

// Close stops serving; events still waiting for their delay are dropped.
func (s *Sim) Close() error {
	var err error
	if s.srv != nil {
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = s.srv.Shutdown(shut)
		cancel()
	}
	for _, sub := range s.subs {
		_ = sub.Unsubscribe()
	}
	s.stop()
	s.bg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// URL is the base URL of both services (one listener serves both).
func (s *Sim) URL() string { return "http://" + s.ln.Addr().String() }

// ProjectURL and CommitteeURL are the per-service base URLs.
func (s *Sim) ProjectURL() string   { return s.URL() }
func (s *Sim) CommitteeURL() string { return s.URL() }

// JWKSURL is where the simulator publishes its signing key.
func (s *Sim) JWKSURL() string { return s.URL() + "/.well-known/jwks" }

// Audiences returns the project and committee service audiences.
func (s *Sim) Audiences() (project, committee string) {
	return s.cfg.ProjectAudience, s.cfg.CommitteeAudience
}

// RootUID is the uid of the seeded ROOT project.
func (s *Sim) RootUID() string { return s.rootUID }

// SigningKey is the simulator's Heimdall key and its kid.
func (s *Sim) SigningKey() (*rsa.PrivateKey, string) { return s.key.key, s.key.kid }

// SigningKeyPEM is the same key as PKCS#8 PEM, the way clients load it.
func (s *Sim) SigningKeyPEM() []byte { return s.key.pem() }

// Token mints a valid token for principal and audience.
func (s *Sim) Token(principal, audience string) (string, error) {
	return MintToken(s.key.key, s.key.kid, TokenClaims{Principal: principal, Audience: audience})
}

// MintToken mints a token with arbitrary claims using the simulator's key.
func (s *Sim) MintToken(c TokenClaims) (string, error) { return MintToken(s.key.key, s.key.kid, c) }

// SetFault installs f on ep (AllEndpoints for every route without its own).
func (s *Sim) SetFault(ep Endpoint, f Fault) error {
	if err := f.validate(); err != nil {
		return fmt.Errorf("v2sim: fault on %q: %w", ep, err)
	}
	s.faults.set(ep, f)
	return nil
}

// ClearFaults removes every fault.
func (s *Sim) ClearFaults() { s.faults.clear() }

// SetUser adds or replaces what auth-service knows about email.
func (s *Sim) SetUser(email string, u User) { s.users.set(email, u) }

func (s *Sim) handler() http.Handler {
	mux := http.NewServeMux()
	s.projectRoutes(mux)
	s.committeeRoutes(mux)
	mux.HandleFunc("GET /livez", plainOK)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.HandleFunc("GET /.well-known/jwks", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.key.jwks())
	})
	s.inspectRoutes(mux)
	return s.count(mux)
}

func plainOK(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write([]byte("OK\n"))
}

func (s *Sim) readyz(w http.ResponseWriter, r *http.Request) {
	if s.nc.Status() != nats.CONNECTED {
		http.Error(w, "NATS not ready", http.StatusServiceUnavailable)
		return
	}
	plainOK(w, r)
}

// isAPI tells simulated service routes from health and test-only ones.
func isAPI(pattern string) bool {
	return strings.Contains(pattern, " /projects") || strings.Contains(pattern, " /committees")
}
