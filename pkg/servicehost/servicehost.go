// Package servicehost runs one domain service as its own process: what each
// services/<svc>/cmd/<svc> command shares, so that the command itself only
// says how its service is built. The carecoord binary hosts the same services
// side by side; this is for working on one alone and for running it behind a
// gateway that federates over HTTP.
//
// The process takes --data-dir, --listen, --dev, --log-level and --seed, plus
// the service's own flags. It keeps the event store in <data-dir>/eventstore,
// consumer checkpoints in <data-dir>/local/checkpoints and the development
// signing key in <data-dir>/dev-signing-key (the key `carecoord token` uses
// with the same --data-dir). It serves the service's subgraph at /graphql
// (GraphQL over HTTP, pkg/graphqlhttp) behind bearer-token authentication,
// /healthz (alive) and /readyz (every event consumer caught up and the store
// readable), with one log line per request.
//
// It imports graphql-go, zap, uuid and pkg/ (never a service: services
// import it).
package servicehost

import (
	"context"
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
	"carecoord/pkg/graphqlhttp"
	"carecoord/pkg/locality"
	"carecoord/pkg/logging"
)

// Deps is what the host hands the service it builds.
type Deps struct {
	Store eventstore.Store
	// Bus: the service registers its projections and reactions on it; the
	// host runs it once Build has returned.
	Bus        *eventbus.Bus
	Localities *locality.Registry
	Logger     *zap.Logger
	// DataDir is --data-dir, for a service that keeps files of its own.
	DataDir string
}

// Built is a service ready to run.
type Built struct {
	// Schema builds the service's standalone subgraph schema.
	Schema func() (graphql.Schema, error)
	// Seed loads the service's demo data, repeat-safe (nil: the service has
	// none). It runs under --seed, with auth.SystemViewer("seed") in ctx,
	// once the bus has caught up and before the server listens.
	Seed func(ctx context.Context) error
}

// DemoSeed is the Built.Seed of a service whose seed package has the usual
// Run(ctx, svc, people, now): it seeds with the demo people of seed 1, the
// ones the carecoord binary gives every service, so that the services' demo
// patients are the same people.
func DemoSeed[S any](run func(context.Context, S, *demo.People, time.Time) error, svc S, localities *locality.Registry) func(context.Context) error {
	return func(ctx context.Context) error {
		now := time.Now().UTC()
		return run(ctx, svc, demo.NewPeople(1, localities, now), now)
	}
}

// Build builds the service over deps; flags are parsed by then.
type Build func(Deps) (Built, error)

// Command is one service's stand-alone command.
type Command struct {
	// Name names the process in its usage, its logs and the line that
	// announces its address ("caseload").
	Name string
	// Listen is the default --listen address.
	Listen string
	// Setup registers the service's own flags on fs, keeping the pointers
	// fs returns, and returns the Build that reads them: it runs after fs
	// is parsed.
	Setup func(fs *flag.FlagSet) Build
}

// NoFlags is the Setup of a service with no flags of its own.
func NoFlags(build Build) func(*flag.FlagSet) Build {
	return func(*flag.FlagSet) Build { return build }
}

// Main runs the command with the process's arguments until SIGINT or SIGTERM
// (a second signal kills a shutdown that hangs), and exits with Run's status.
func (c Command) Main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop)
	code := c.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Run serves until ctx ends and then shuts down. Its first line on stdout is
// "<name> listening on http://HOST:PORT", once the port is bound (--listen
// with port 0 picks a free one). It returns the exit status: 0 after a clean
// shutdown, 1 when start-up or serving failed, 2 for bad arguments.
func (c Command) Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(c.Name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.dataDir, "data-dir", filepath.Join(".data", c.Name), "directory of the event store, checkpoints and the development signing key")
	fs.StringVar(&o.listen, "listen", c.Listen, "HTTP listen address (port 0 picks a free port)")
	fs.BoolVar(&o.seed, "seed", false, "load the demo data before serving (repeat-safe)")
	dev := fs.Bool("dev", false, "readable console logs")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	build := c.Setup(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected arguments %q\n", c.Name, fs.Args())
		return 2
	}
	logger, err := logging.NewTo(stderr, *dev, *level)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", c.Name, err)
		return 2
	}
	defer func() { _ = logger.Sync() }()
	logger = logger.With(zap.String("service", c.Name))
	if err := c.serve(ctx, o, build, stdout, logger); err != nil {
		logger.Error(c.Name+" stopped", zap.Error(err))
		return 1
	}
	logger.Info(c.Name + " stopped cleanly")
	return 0
}

type options struct {
	dataDir, listen string
	seed            bool
}

// serve opens what the service needs, builds and runs it, and serves HTTP
// until ctx ends. The deferred steps stop everything in the reverse order of
// its start: HTTP server, event bus, checkpoints, store.
func (c Command) serve(ctx context.Context, o options, build Build, stdout io.Writer, logger *zap.Logger) (err error) {
	store, err := embedded.Open(filepath.Join(o.dataDir, "eventstore"), embedded.Options{})
	if err != nil {
		return fmt.Errorf("open event store: %w", err)
	}
	defer func() { err = errors.Join(err, store.Close()) }()
	cps, err := checkpoint.Open(filepath.Join(o.dataDir, "local", "checkpoints"))
	if err != nil {
		return fmt.Errorf("open checkpoints: %w", err)
	}
	defer func() { err = errors.Join(err, cps.Close()) }()
	key, err := auth.LoadOrCreateDevKey(filepath.Join(o.dataDir, "dev-signing-key"))
	if err != nil {
		return fmt.Errorf("signing key: %w", err)
	}
	bus, err := eventbus.New(eventbus.Config{Store: store, Checkpoints: cps, Logger: logger.Named("eventbus")})
	if err != nil {
		return err
	}
	svc, err := build(Deps{Store: store, Bus: bus, Localities: locality.Default(), Logger: logger, DataDir: o.dataDir})
	if err != nil {
		return err
	}
	// A schema that does not build stops start-up before anything runs.
	schema, err := svc.Schema()
	if err != nil {
		return fmt.Errorf("schema: %w", err)
	}

	running := make(chan error, 1)
	go func() { running <- bus.Run(context.WithoutCancel(ctx)) }()
	select {
	case <-bus.Running():
	case err := <-running:
		return fmt.Errorf("event bus: %w", err)
	}
	// Drain the handlers in flight and write their checkpoints before the
	// stores close.
	defer func() { err = errors.Join(err, bus.Close(), <-running) }()

	if o.seed {
		if err := seed(ctx, svc.Seed, bus); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		logger.Info("demo data loaded")
	}

	mux := http.NewServeMux()
	mux.Handle("/graphql", auth.Middleware(key.Verifier(), graphqlhttp.Handler(schema, graphqlhttp.Options{})))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := bus.CaughtUp(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		if _, err := store.ReadAll(r.Context(), eventstore.End, eventstore.Backwards, 1); err != nil {
			http.Error(w, "event store unavailable", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	return listenAndServe(ctx, c.Name, o.listen, logRequests(logger.Named("http"), mux), stdout, logger)
}

// seed waits for the consumers to catch up (a seed is repeat-safe only
// against an up-to-date read model) and runs the service's seed as the
// system's seed viewer.
func seed(ctx context.Context, run func(context.Context) error, bus *eventbus.Bus) error {
	if run == nil {
		return errors.New("this service has no demo data")
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for bus.CaughtUp() != nil {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return run(auth.WithViewer(ctx, auth.SystemViewer("seed")))
}

// listenAndServe binds addr, announces it on stdout and serves until ctx
// ends; then it finishes the requests in flight (10s at most).
func listenAndServe(ctx context.Context, name, addr string, h http.Handler, stdout io.Writer, logger *zap.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          zap.NewStdLog(logger.Named("http").WithOptions(zap.IncreaseLevel(zap.WarnLevel))),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	// The first line is for programs that need the real address; keep its
	// format stable.
	fmt.Fprintf(stdout, "%s listening on http://%s\n", name, ln.Addr())
	logger.Info("listening", zap.String("addr", ln.Addr().String()))

	select {
	case <-ctx.Done():
	case err := <-served:
		return fmt.Errorf("http server: %w", err)
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// Out of time: cut the connections rather than let them outlive
		// the store.
		return errors.Join(err, srv.Close())
	}
	return nil
}
