// Package server is the gateway's HTTP surface: routing, liveness and
// readiness probes, and request logging around every endpoint. What runs
// behind /graphql is given to it, so that it knows nothing of schemas, stores
// or services.
//
// It imports zap, uuid, pkg/logging and the standard library.
package server

import (
	"context"
	"net/http"
	"time"

	"go.uber.org/zap"
)

// Check is one readiness condition: the process is ready when every check's
// Fn returns nil. Name is shown to callers of /readyz; Fn's error is only
// logged, because it may describe internals.
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
}

// Config is what the handler serves.
type Config struct {
	Logger *zap.Logger
	// Checks decide readiness; append to add a condition.
	Checks []Check
	// CheckTimeout bounds each check (default 2s), so that a stuck dependency
	// makes the process unready instead of hanging the probe.
	CheckTimeout time.Duration
	// GraphQL serves /graphql (GET and POST).
	GraphQL http.Handler
	// WarmUp, when set, holds GraphQL requests back (503) until it first
	// returns nil: the read models have caught up after a start.
	WarmUp func() error
	// Subgraphs serve each hosted service's own schema at
	// /subgraphs/<name>/graphql, keyed by name.
	Subgraphs map[string]http.Handler
	// Federated serve each hosted service's federated subgraph (the schema
	// a gateway composes, with _service and _entities) at
	// /subgraphs/<name>/federated, keyed by name: what another process's
	// --subgraph NAME=URL points at.
	Federated map[string]http.Handler
}

// New returns the HTTP handler for the gateway process.
func New(cfg Config) http.Handler {
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.CheckTimeout <= 0 {
		cfg.CheckTimeout = 2 * time.Second
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", healthz)
	mux.Handle("GET /readyz", readyz(cfg.Checks, cfg.CheckTimeout, cfg.Logger))
	gate := &warmingUp{ready: cfg.WarmUp}
	if cfg.GraphQL != nil {
		g := gate.wrap(cfg.GraphQL)
		mux.Handle("GET /graphql", g)
		mux.Handle("POST /graphql", g)
	}
	for name, h := range cfg.Subgraphs {
		h = gate.wrap(h)
		mux.Handle("GET /subgraphs/"+name+"/graphql", h)
		mux.Handle("POST /subgraphs/"+name+"/graphql", h)
	}
	for name, h := range cfg.Federated {
		h = gate.wrap(h)
		mux.Handle("GET /subgraphs/"+name+"/federated", h)
		mux.Handle("POST /subgraphs/"+name+"/federated", h)
	}
	return logRequests(cfg.Logger, mux)
}
