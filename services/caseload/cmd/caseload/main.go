// Command caseload runs the caseload service on its own: its standalone
// subgraph at /graphql (POST {query, variables}) behind development-token
// authentication, and /healthz. The carecoord binary hosts the same service
// with the others; this is for working on caseload alone, and for running it
// as a separate process behind a gateway that federates over HTTP.
//
//	caseload --data-dir .data-caseload --listen 127.0.0.1:8092 --seed
//
// State: the event store in <data-dir>/eventstore, consumer checkpoints in
// <data-dir>/local/checkpoints, the development signing key in
// <data-dir>/dev-signing-key (the one `carecoord token` uses with the same
// --data-dir).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/graphql-go/graphql"
	"go.uber.org/zap"

	"carecoord/pkg/auth"
	"carecoord/pkg/checkpoint"
	"carecoord/pkg/demo"
	"carecoord/pkg/eventbus"
	"carecoord/pkg/eventstore"
	"carecoord/pkg/eventstore/embedded"
	"carecoord/pkg/locality"
	"carecoord/pkg/logging"
	"carecoord/services/caseload/seed"
	"carecoord/services/caseload/service"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop) // a second signal kills a shutdown that hangs
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run serves until ctx ends; it returns the exit status (2: bad arguments).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("caseload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", "./.data-caseload", "directory for the event store, checkpoints and the development signing key")
	listen := fs.String("listen", "127.0.0.1:8092", "HTTP listen address (port 0 picks a free port)")
	seedData := fs.Bool("seed", false, "load the demo caseloads (repeat-safe)")
	dev := fs.Bool("dev", false, "readable console logs")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	logger, err := logging.New(*dev, "info")
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	defer func() { _ = logger.Sync() }()
	if err := serve(ctx, *dataDir, *listen, *seedData, stdout, logger); err != nil {
		logger.Error("caseload stopped", zap.Error(err))
		return 1
	}
	return 0
}

func serve(ctx context.Context, dataDir, listen string, seedData bool, stdout io.Writer, logger *zap.Logger) (err error) {
	store, err := embedded.Open(filepath.Join(dataDir, "eventstore"), embedded.Options{})
	if err != nil {
		return fmt.Errorf("open event store: %w", err)
	}
	defer func() { err = errors.Join(err, store.Close()) }()
	cps, err := checkpoint.Open(filepath.Join(dataDir, "local", "checkpoints"))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, cps.Close()) }()
	bus, err := eventbus.New(eventbus.Config{Store: store, Checkpoints: cps, Logger: logger.Named("eventbus")})
	if err != nil {
		return err
	}
	reg := locality.Default()
	svc, err := service.New(service.Deps{Store: store, Bus: bus, Localities: reg, Logger: logger})
	if err != nil {
		return err
	}
	schema, err := svc.Subgraph.Schema()
	if err != nil {
		return err
	}
	key, err := auth.LoadOrCreateDevKey(filepath.Join(dataDir, "dev-signing-key"))
	if err != nil {
		return fmt.Errorf("signing key: %w", err)
	}

	running := make(chan error, 1)
	go func() { running <- bus.Run(context.WithoutCancel(ctx)) }()
	select {
	case <-bus.Running():
	case err := <-running:
		return fmt.Errorf("event bus: %w", err)
	}
	// Stop taking events and write the checkpoints before the stores close.
	defer func() { err = errors.Join(err, bus.Close(), <-running) }()

	if seedData {
		now := time.Now().UTC()
		if err := seed.Run(ctx, svc, demo.NewPeople(1, reg, now), now); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		logger.Info("demo caseloads seeded")
	}

	mux := http.NewServeMux()
	mux.Handle("/graphql", auth.Middleware(key.Verifier(), graphqlHandler(schema)))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if err := svc.CaughtUp(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		if _, err := store.ReadAll(r.Context(), eventstore.End, eventstore.Backwards, 1); err != nil {
			http.Error(w, "event store unavailable", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	// The first line is for programs that need the real address.
	fmt.Fprintf(stdout, "caseload listening on http://%s\n", ln.Addr())
	logger.Info("listening", zap.String("addr", ln.Addr().String()))

	select {
	case <-ctx.Done():
	case err := <-served:
		return fmt.Errorf("http server: %w", err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
	}
	logger.Info("caseload stopped cleanly")
	return nil
}

// maxBody bounds a request: a GraphQL document and its variables.
const maxBody = 1 << 20

// graphqlHandler serves POST {query, variables, operationName}. GraphQL
// errors are in the body with status 200; a request that is not GraphQL is
// 400 or 405. Nothing of the request is logged: variables hold patient
// data.
func graphqlHandler(schema graphql.Schema) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST a JSON GraphQL request", http.StatusMethodNotAllowed)
			return
		}
		var req struct {
			Query         string         `json:"query"`
			Variables     map[string]any `json:"variables"`
			OperationName string         `json:"operationName"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&req); err != nil || req.Query == "" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"errors":[{"message":"send a JSON body with a query","extensions":{"code":"BAD_REQUEST"}}]}`)
			return
		}
		res := graphql.Do(graphql.Params{Schema: schema, RequestString: req.Query, VariableValues: req.Variables,
			OperationName: req.OperationName, Context: r.Context()})
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(res)
	})
}
