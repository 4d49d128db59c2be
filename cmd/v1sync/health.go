package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/rs/zerolog"
)

// healthServer serves /livez and /readyz (and whatever else the mux holds)
// for Kubernetes probes.
type healthServer struct {
	srv  *http.Server
	addr net.Addr
	done chan error
}

// serveHealth listens on addr and serves /livez (the process runs) and
// /readyz (ready returns nil).
func serveHealth(addr string, ready func() error, log zerolog.Logger) (*healthServer, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /livez", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if err := ready(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("health/metrics listener: %w", err)
	}
	h := &healthServer{
		srv:  &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second},
		addr: ln.Addr(),
		done: make(chan error, 1),
	}
	go func() {
		err := h.srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		h.done <- err
	}()
	log.Info().Str("http_addr", h.addr.String()).Msg("serving /livez /readyz")
	return h, nil
}

// Stop closes the listener and waits up to timeout for open requests.
func (h *healthServer) Stop(timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	_ = h.srv.Shutdown(ctx)
	<-h.done
}
