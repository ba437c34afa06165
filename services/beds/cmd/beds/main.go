// Command beds runs the beds service alone: its subgraph at /graphql (POST
// JSON {query, variables, operationName}) behind bearer-token auth with the
// development signing key, and /healthz. The carecoord binary hosts the same
// service beside the others; this is for working on it by itself and for
// federation over HTTP.
//
//	go run ./services/beds/cmd/beds --seed     # data in ./.data/beds, port 8093
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

	"carecoord/services/beds/hospitals"
	"carecoord/services/beds/seed"
	"carecoord/services/beds/service"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "beds:", err)
		os.Exit(1)
	}
}

func run() error {
	dataDir := flag.String("data-dir", "./.data/beds", "directory of the event store, checkpoints and development signing key")
	listen := flag.String("listen", "127.0.0.1:8093", "address to serve /graphql and /healthz on")
	hospitalsFile := flag.String("hospitals", "", "hospital, ward and bed reference data (JSON); the built-in demo data when empty")
	seedDemo := flag.Bool("seed", false, "load demo data (repeat-safe)")
	dev := flag.Bool("dev", true, "human-readable logs")
	flag.Parse()

	logger, err := logging.New(*dev, "info")
	if err != nil {
		return err
	}
	defer logger.Sync() //nolint:errcheck // nothing to do if stderr is gone
	reg := hospitals.Default()
	if *hospitalsFile != "" {
		if reg, err = hospitals.Load(*hospitalsFile); err != nil {
			return err
		}
	}

	store, err := embedded.Open(filepath.Join(*dataDir, "eventstore"), embedded.Options{})
	if err != nil {
		return err
	}
	defer store.Close()
	cps, err := checkpoint.Open(filepath.Join(*dataDir, "local", "checkpoints"))
	if err != nil {
		return err
	}
	defer cps.Close()
	bus, err := eventbus.New(eventbus.Config{Store: store, Checkpoints: cps, Logger: logger.Named("eventbus")})
	if err != nil {
		return err
	}
	svc, err := service.New(service.Deps{Store: store, Bus: bus, Localities: locality.Default(), Logger: logger, Hospitals: reg})
	if err != nil {
		return err
	}
	schema, err := svc.Subgraph.Schema()
	if err != nil {
		return err
	}
	key, err := auth.LoadOrCreateDevKey(filepath.Join(*dataDir, "dev-signing-key"))
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	busDone := make(chan error, 1)
	go func() { busDone <- bus.Run(context.WithoutCancel(ctx)) }()
	select {
	case <-bus.Running():
	case err := <-busDone:
		return fmt.Errorf("event bus: %w", err)
	}
	defer func() { _ = bus.Close(); <-busDone }()

	if *seedDemo {
		for bus.CaughtUp() != nil {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
		}
		now := time.Now()
		if err := seed.Run(ctx, svc, demo.NewPeople(1, locality.Default(), now), now); err != nil {
			return err
		}
		logger.Info("demo data loaded")
	}

	mux := http.NewServeMux()
	mux.Handle("/graphql", auth.Middleware(key.Verifier(), graphqlHandler(schema)))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if err := bus.CaughtUp(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	srv := &http.Server{Addr: *listen, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.ListenAndServe() }()
	logger.Info("beds service listening", zap.String("addr", *listen))
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// graphqlHandler serves GraphQL over HTTP POST. Queries are not logged: they
// can carry NHS numbers in their variables.
func graphqlHandler(schema graphql.Schema) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST a JSON body {query, variables}", http.StatusMethodNotAllowed)
			return
		}
		var body struct {
			Query         string         `json:"query"`
			Variables     map[string]any `json:"variables"`
			OperationName string         `json:"operationName"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&body); err != nil {
			http.Error(w, "the body must be JSON {query, variables}", http.StatusBadRequest)
			return
		}
		res := graphql.Do(graphql.Params{Schema: schema, RequestString: body.Query, VariableValues: body.Variables, OperationName: body.OperationName, Context: r.Context()})
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(res)
	})
}
