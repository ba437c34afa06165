// Command falls runs the falls service on its own: its subgraph at /graphql
// (POST {"query", "variables"}) behind development-token authentication,
// over an embedded event store in --data-dir. Get a token with
// `carecoord token --data-dir <the same dir> --role falls_dispatcher`.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
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
	"carecoord/pkg/eventstore/embedded"
	"carecoord/pkg/locality"
	"carecoord/pkg/logging"
	"carecoord/services/falls/seed"
	"carecoord/services/falls/service"
	"carecoord/services/falls/units"
)

func main() {
	dataDir := flag.String("data-dir", "./.data", "directory for the event store, checkpoints and the dev signing key")
	listen := flag.String("listen", "127.0.0.1:8094", "address to serve /graphql and /healthz on")
	unitsFile := flag.String("units-file", "", "falls responder units (JSON, the shape of units/data/units.json); empty: the built-in demo units")
	withSeed := flag.Bool("seed", false, "load the demo data (repeat-safe)")
	dev := flag.Bool("dev", false, "human-readable logs")
	flag.Parse()
	logger, err := logging.New(*dev, "info")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *dataDir, *listen, *unitsFile, *withSeed, logger); err != nil {
		logger.Error("falls stopped", zap.Error(err))
		os.Exit(1)
	}
}

func run(ctx context.Context, dataDir, listen, unitsFile string, withSeed bool, log *zap.Logger) error {
	store, err := embedded.Open(filepath.Join(dataDir, "eventstore"), embedded.Options{})
	if err != nil {
		return err
	}
	defer store.Close()
	cps, err := checkpoint.Open(filepath.Join(dataDir, "local", "checkpoints"))
	if err != nil {
		return err
	}
	defer cps.Close()
	key, err := auth.LoadOrCreateDevKey(filepath.Join(dataDir, "dev-signing-key"))
	if err != nil {
		return err
	}
	localities := locality.Default()
	var unitReg *units.Registry
	if unitsFile != "" {
		if unitReg, err = units.Load(unitsFile, localities); err != nil {
			return err
		}
	}
	bus, err := eventbus.New(eventbus.Config{Store: store, Checkpoints: cps, Logger: log})
	if err != nil {
		return err
	}
	svc, err := service.New(service.Deps{Store: store, Bus: bus, Localities: localities, Logger: log, Units: unitReg})
	if err != nil {
		return err
	}
	schema, err := svc.Subgraph.Schema()
	if err != nil {
		return err
	}
	busDone := make(chan error, 1)
	go func() { busDone <- bus.Run(context.Background()) }()
	defer func() {
		_ = bus.Close()
		<-busDone
	}()
	select {
	case <-bus.Running():
	case err := <-busDone:
		return fmt.Errorf("event bus: %w", err)
	}
	if withSeed {
		now := time.Now()
		if err := seed.Run(ctx, svc, demo.NewPeople(1, localities, now), now); err != nil {
			return err
		}
	}

	mux := http.NewServeMux()
	mux.Handle("/graphql", auth.Middleware(key.Verifier(), graphqlHandler(schema)))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if err := bus.CaughtUp(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	srv := &http.Server{Addr: listen, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	serveDone := make(chan error, 1)
	go func() { serveDone <- srv.ListenAndServe() }()
	log.Info("falls serving", zap.String("listen", listen), zap.String("data_dir", dataDir))
	select {
	case err := <-serveDone:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-serveDone; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("falls stopped")
	return nil
}

// maxRequest bounds a GraphQL request body.
const maxRequest = 1 << 20

func graphqlHandler(schema graphql.Schema) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST a JSON body {query, variables}", http.StatusMethodNotAllowed)
			return
		}
		var req struct {
			Query         string         `json:"query"`
			Variables     map[string]any `json:"variables"`
			OperationName string         `json:"operationName"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequest)).Decode(&req); err != nil {
			http.Error(w, "the body is not a GraphQL request", http.StatusBadRequest)
			return
		}
		res := graphql.Do(graphql.Params{Schema: schema, RequestString: req.Query, VariableValues: req.Variables,
			OperationName: req.OperationName, Context: r.Context()})
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(res)
	})
}
