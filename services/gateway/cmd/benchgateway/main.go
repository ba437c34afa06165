// Command benchgateway measures a locality's joined-up view through the
// composed /graphql of a real carecoord process against a plain JSON handler
// that returns the same data from the same read models (issue 5).
//
// It builds the carecoord binary and seeds a fresh data directory (both
// under ./.bench, removed at exit), issues one ICT clinician token for Leek
// per client (distinct subjects, so the per-viewer rate limit of
// pkg/graphqlhttp applies to each client separately) and then:
//
//  1. baseline: on a copy of the seeded directory it builds the four
//     services in process, waits for their read models, and serves a
//     net/http handler (behind the same token middleware) that calls the
//     services' app-layer queries directly and JSON-encodes the result;
//  2. gateway: it starts `carecoord serve` on the seeded directory as a
//     real process and POSTs the LocalityView query to /graphql.
//
// Both are loaded by the same clients for the same duration over loopback
// HTTP. It prints exactly one line on stdout:
//
//	bench-gateway query=locality_view clients=64 rps=<N> p50_ms=<x> p99_ms=<x> plain_json_rps=<N> ratio=<x>
//
// rps and the percentiles are the gateway's; ratio is rps/plain_json_rps.
// Details go to stderr.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

const (
	minDuration   = 10 * time.Second
	shortDuration = 2 * time.Second
	benchDir      = ".bench"
	localityID    = "leek"
)

type config struct {
	duration time.Duration
	clients  int
	short    bool
}

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "benchgateway:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) (err error) {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	bound := 2*cfg.duration + 4*time.Minute
	watchdog := time.AfterFunc(bound, func() {
		fmt.Fprintf(stderr, "benchgateway: run exceeded its bound of %v; data may be left under %s\n", bound, benchDir)
		os.Exit(2)
	})
	defer watchdog.Stop()

	if err := os.MkdirAll(benchDir, 0o755); err != nil {
		return err
	}
	dir, err := os.MkdirTemp(benchDir, "benchgateway-")
	if err != nil {
		return err
	}
	defer func() {
		if rmErr := os.RemoveAll(dir); rmErr != nil && err == nil {
			err = rmErr
		}
		_ = os.Remove(benchDir) // only if nothing else is in it
	}()
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "benchgateway: %d clients for %v per target, work in %s\n", cfg.clients, cfg.duration, abs)

	res, err := runBench(ctx, cfg, abs, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, res.line(cfg.clients))
	return nil
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("benchgateway", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	fs.DurationVar(&cfg.duration, "duration", minDuration, "how long the clients load each target (at least 10s unless -short)")
	fs.IntVar(&cfg.clients, "clients", 64, "concurrent clients, each with its own token")
	fs.BoolVar(&cfg.short, "short", false, "smoke run: 2s per target (unless -duration is given); numbers are not comparable")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	durationSet := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "duration" {
			durationSet = true
		}
	})
	if cfg.short && !durationSet {
		cfg.duration = shortDuration
	}
	if cfg.duration <= 0 {
		return cfg, fmt.Errorf("-duration must be positive")
	}
	if !cfg.short && cfg.duration < minDuration {
		return cfg, fmt.Errorf("-duration %v is less than %v (use -short for a smoke run)", cfg.duration, minDuration)
	}
	if cfg.clients < 1 {
		return cfg, fmt.Errorf("-clients must be at least 1")
	}
	return cfg, nil
}
