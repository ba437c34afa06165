// Package app wires a carecoord process together: it opens the event store,
// builds the GraphQL schema and the HTTP server, serves until told to stop,
// and then stops every component in reverse order. It is the one place that
// knows how the parts fit; everything else is handed what it needs.
//
// It may import every package of the gateway and pkg/.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"go.uber.org/zap"

	"carecoord/pkg/auth"
	"carecoord/pkg/buildinfo"
	"carecoord/pkg/checkpoint"
	"carecoord/pkg/eventbus"
	"carecoord/pkg/eventstore"
	"carecoord/pkg/eventstore/embedded"
	"carecoord/services/gateway/internal/config"
	"carecoord/services/gateway/internal/graphqlapi"
	"carecoord/services/gateway/internal/graphqlhttp"
	"carecoord/services/gateway/internal/server"
	"carecoord/services/gateway/internal/shutdown"
)

// Run serves until ctx is done (SIGINT or SIGTERM in main), then shuts down:
// the HTTP server stops accepting and finishes in-flight requests, the other
// components stop in the reverse order of their start, and the store closes
// last. It writes the listening address to stdout and logs to logger. It
// returns nil after a clean shutdown.
func Run(ctx context.Context, cfg config.Config, stdout io.Writer, logger *zap.Logger) error {
	var hooks shutdown.Hooks
	err := start(ctx, cfg, stdout, logger, &hooks)
	if err != nil {
		logger.Error("start-up or serving failed; shutting down", zap.Error(err))
	} else {
		logger.Info("shutting down")
	}
	// Shutdown gets its own deadline: ctx is already done by now.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	if serr := hooks.Run(sctx, logger); serr != nil {
		return errors.Join(err, serr)
	}
	logger.Info("shutdown complete")
	return err
}

// start brings the components up in dependency order, registering each one's
// stop step as soon as it is up, then serves until ctx is done or the server
// fails.
//
// To extend the process:
//   - a component that must stop cleanly: hooks.Add right after starting it
//     (hooks run last-added first, so add a component after what it uses);
//   - a readiness condition: append to checks before the server is built;
//   - GraphQL types and fields: in package graphqlapi, fed through
//     graphqlapi.Deps.
func start(ctx context.Context, cfg config.Config, stdout io.Writer, logger *zap.Logger, hooks *shutdown.Hooks) error {
	logger.Info("starting carecoord", zap.String("version", buildinfo.Version), zap.String("data_dir", cfg.DataDir))

	store, err := embedded.Open(filepath.Join(cfg.DataDir, "eventstore"), embedded.Options{})
	if err != nil {
		return fmt.Errorf("open event store: %w", err)
	}
	hooks.Add("eventstore", func(context.Context) error { return store.Close() })
	logger.Info("event store open", zap.String("backend", store.Backend()))

	checks := []server.Check{
		{Name: "eventstore", Fn: storeReadable(store)},
	}

	bus, err := startEventBus(ctx, cfg, store, logger, hooks)
	if err != nil {
		return err
	}
	checks = append(checks, server.Check{Name: "subscriptions", Fn: func(context.Context) error { return bus.CaughtUp() }})

	// Development tokens (`carecoord token`) are signed with this key.
	devKey, err := auth.LoadOrCreateDevKey(filepath.Join(cfg.DataDir, "dev-signing-key"))
	if err != nil {
		return fmt.Errorf("signing key: %w", err)
	}

	schema, err := graphqlapi.NewSchema(graphqlapi.Deps{
		ServerInfo: graphqlapi.ServerInfo{Version: buildinfo.Version, StoreBackend: store.Backend()},
	})
	if err != nil {
		return err
	}

	handler := server.New(server.Config{
		Logger:  logger,
		Checks:  checks,
		GraphQL: auth.Middleware(devKey.Verifier(), graphqlhttp.Handler(schema, graphqlhttp.Options{})),
	})
	return serveHTTP(ctx, cfg, handler, stdout, logger, hooks)
}

// serveHTTP binds the listener, announces it, and serves until ctx is done.
func serveHTTP(ctx context.Context, cfg config.Config, handler http.Handler, stdout io.Writer, logger *zap.Logger, hooks *shutdown.Hooks) error {
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          zap.NewStdLog(logger.Named("http").WithOptions(zap.IncreaseLevel(zap.WarnLevel))),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	hooks.Add("http server", func(ctx context.Context) error {
		err := srv.Shutdown(ctx)
		if err != nil {
			// Out of time: cut the remaining connections rather than let
			// them outlive the store.
			_ = srv.Close()
		}
		return err
	})

	// The first line is for programs (tests, scripts) that need the real
	// address, e.g. after --listen 127.0.0.1:0; keep its format stable.
	base := "http://" + dialable(ln.Addr())
	fmt.Fprintf(stdout, "carecoord listening on %s\n", base)
	fmt.Fprintf(stdout, "GraphiQL: %s/graphql\n", base)
	fmt.Fprintf(stdout, "Get a token: carecoord token --data-dir %s --role ict_clinician --locality leek --name \"Sam Example\"\n", cfg.DataDir)
	logger.Info("listening", zap.String("addr", ln.Addr().String()))

	select {
	case <-ctx.Done():
		return nil
	case err := <-served:
		return fmt.Errorf("http server: %w", err)
	}
}

// dialable is addr as a client can dial it: a wildcard listen address
// (0.0.0.0, ::) is reachable as localhost.
func dialable(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return addr.String()
	}
	return net.JoinHostPort("localhost", fmt.Sprint(tcp.Port))
}

// startEventBus runs the watermill router that carries events from the store
// to the services' handlers, with consumer checkpoints in the node's local
// state. Its stop hook drains the handlers in flight and writes their
// checkpoints before the store closes.
func startEventBus(ctx context.Context, cfg config.Config, store eventstore.Store, logger *zap.Logger, hooks *shutdown.Hooks) (*eventbus.Bus, error) {
	cps, err := checkpoint.Open(filepath.Join(cfg.DataDir, "local", "checkpoints"))
	if err != nil {
		return nil, err
	}
	hooks.Add("checkpoints", func(context.Context) error { return cps.Close() })
	bus, err := eventbus.New(eventbus.Config{Store: store, Checkpoints: cps, Logger: logger.Named("eventbus")})
	if err != nil {
		return nil, err
	}
	// The services register their projections and process managers here as
	// they arrive.
	running := make(chan error, 1)
	go func() { running <- bus.Run(context.WithoutCancel(ctx)) }()
	select {
	case <-bus.Running():
	case err := <-running:
		return nil, fmt.Errorf("event bus: %w", err)
	}
	hooks.Add("event handlers", func(context.Context) error {
		err := bus.Close()
		return errors.Join(err, <-running)
	})
	return bus, nil
}

// storeReadable is ready when the store answers a read of the log's last
// event: cheap, and it fails once the store is closed or broken.
func storeReadable(store eventstore.Store) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := store.ReadAll(ctx, eventstore.End, eventstore.Backwards, 1)
		return err
	}
}
