// Package server is the gateway's HTTP surface: routing, liveness and
// readiness probes, and request logging around every endpoint. What runs
// behind /graphql is given to it, so that it knows nothing of schemas, stores
// or services.
//
// It imports zap, uuid, pkg/logging, the gateway's graphiql (to tell a
// browser's request for the GraphiQL page from a GraphQL request) and the
// standard library.
package server

import (
	"context"
	"net/http"
	"time"

	"go.uber.org/zap"

	"carecoord/services/gateway/internal/graphiql"
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
	// GraphiQL, when set, serves the GraphiQL page for a browser's GET
	// /graphql (graphiql.WantsPage: HTML asked for, no GraphQL request in
	// it) and the page's files under graphiql.AssetPath. Neither waits for
	// WarmUp: they are static, and the page's queries get UNAVAILABLE until
	// the read models have caught up.
	GraphiQL http.Handler
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
		mux.Handle("GET /graphql", orGraphiQL(cfg.GraphiQL, g))
		mux.Handle("POST /graphql", g)
		if cfg.GraphiQL != nil {
			mux.Handle("GET "+graphiql.AssetPath, cfg.GraphiQL)
		}
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

// orGraphiQL gives a browser's request for the GraphiQL page to page and
// every other request to next.
func orGraphiQL(page, next http.Handler) http.Handler {
	if page == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if graphiql.WantsPage(r) {
			page.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
