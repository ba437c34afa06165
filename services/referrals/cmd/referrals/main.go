// Command referrals runs the referrals service alone: its subgraph at
// /graphql (POST JSON {query, variables, operationName}) behind bearer-token
// authentication with the development key, and /healthz. The carecoord binary
// hosts the same service beside the others; this is for working on it alone.
//
//	referrals --data-dir .data/referrals --listen 127.0.0.1:8091
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
	"carecoord/pkg/eventbus"
	"carecoord/pkg/eventstore/embedded"
	"carecoord/pkg/locality"
	"carecoord/pkg/logging"
	"carecoord/services/referrals/service"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "referrals:", err)
		os.Exit(1)
	}
}

func run() error {
	dataDir := flag.String("data-dir", ".data", "directory of the event store, checkpoints and development key")
	listen := flag.String("listen", "127.0.0.1:8091", "address to serve HTTP on")
	dev := flag.Bool("dev", false, "readable console logs")
	flag.Parse()

	log, err := logging.New(*dev, "")
	if err != nil {
		return err
	}
	defer log.Sync() //nolint:errcheck // nothing to do if stderr is gone

	store, err := embedded.Open(filepath.Join(*dataDir, "store"), embedded.Options{})
	if err != nil {
		return err
	}
	defer store.Close()
	cps, err := checkpoint.Open(filepath.Join(*dataDir, "local", "checkpoints"))
	if err != nil {
		return err
	}
	defer cps.Close()
	key, err := auth.LoadOrCreateDevKey(filepath.Join(*dataDir, "dev-signing-key"))
	if err != nil {
		return err
	}
	bus, err := eventbus.New(eventbus.Config{Store: store, Checkpoints: cps, Logger: log})
	if err != nil {
		return err
	}
	svc, err := service.New(service.Deps{Store: store, Bus: bus, Localities: locality.Default(), Logger: log})
	if err != nil {
		return err
	}
	schema, err := svc.Subgraph.Schema()
	if err != nil {
		return fmt.Errorf("schema: %w", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	busDone := make(chan error, 1)
	go func() { busDone <- bus.Run(ctx) }()

	mux := http.NewServeMux()
	mux.Handle("/graphql", auth.Middleware(key.Verifier(), graphqlHandler(schema)))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		// Ready once the read model has caught up with the log.
		if err := bus.CaughtUp(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	srv := &http.Server{Addr: *listen, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	srvDone := make(chan error, 1)
	go func() { srvDone <- srv.ListenAndServe() }()
	log.Info("referrals serving", zap.String("listen", *listen), zap.String("data_dir", *dataDir))

	select {
	case <-ctx.Done():
	case err := <-srvDone:
		return err
	case err := <-busDone:
		return fmt.Errorf("event bus stopped: %w", err)
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	if cerr := bus.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if ferr := cps.Flush(); ferr != nil && err == nil {
		err = ferr
	}
	return err
}

// request is a GraphQL-over-HTTP POST body.
type request struct {
	Query         string         `json:"query"`
	Variables     map[string]any `json:"variables"`
	OperationName string         `json:"operationName"`
}

// graphqlHandler serves POST JSON requests. It never logs the body: query
// variables hold patient data.
func graphqlHandler(schema graphql.Schema) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST a JSON body {query, variables}", http.StatusMethodNotAllowed)
			return
		}
		var req request
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
			var tooBig *http.MaxBytesError
			status := http.StatusBadRequest
			if errors.As(err, &tooBig) {
				status = http.StatusRequestEntityTooLarge
			}
			http.Error(w, "the body is not a GraphQL request", status)
			return
		}
		res := graphql.Do(graphql.Params{
			Schema: schema, RequestString: req.Query, VariableValues: req.Variables,
			OperationName: req.OperationName, Context: r.Context(),
		})
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(res)
	})
}
