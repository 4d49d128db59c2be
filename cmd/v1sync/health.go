package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/linuxfoundation/v1sync/pipeline"
)

// healthServer serves the process's pipeline.Health (/livez, /readyz,
// /metrics) for Kubernetes probes and Prometheus.
type healthServer struct {
	srv  *http.Server
	addr net.Addr
	done chan error
}

func serveHealth(addr string, h *pipeline.Health, log zerolog.Logger) (*healthServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("health/metrics listener: %w (set --http-addr, e.g. 127.0.0.1:0 for any free port)", err)
	}
	hs := &healthServer{
		srv:  &http.Server{Handler: h.Handler(), ReadHeaderTimeout: 5 * time.Second},
		addr: ln.Addr(),
		done: make(chan error, 1),
	}
	go func() {
		err := hs.srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		hs.done <- err
	}()
	log.Info().Str(pipeline.FieldAddr, hs.addr.String()).Msg("serving /livez /readyz /metrics")
	return hs, nil
}

// Stop closes the listener and waits up to timeout for open requests.
func (h *healthServer) Stop(timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	_ = h.srv.Shutdown(ctx)
	<-h.done
}
