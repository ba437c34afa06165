// Command benchict measures the integrated care team's referral lifecycle
// end to end through the application layer: concurrent clients each take
// referrals of synthetic people (pkg/demo) from receipt to a recorded visit,
// across two services joined by an event reaction.
//
// One lifecycle, as an admin in the context: the referrals service receives
// a referral (about one in three UCR 2-hour, the rest routine or urgent),
// triages it ACCEPT, allocates it to a team and clinician and records first
// contact; caseload's OpenEpisodeOnReferralAccepted reaction opens the
// episode, which the client waits for in caseload's read model, then assigns
// a keyworker, schedules two one-off visits (today and later in the week)
// and records today's visit as completed.
//
// The services are built with their real constructors on one embedded store
// (in a fresh directory under ./.bench, removed at exit) and one event bus.
// It prints exactly one line on stdout:
//
//	bench-ict referrals_per_s=<N> p99_ms=<x> projection_lag_p99_ms=<x> events_total=<N>
//
// p99_ms is over every app-layer command call; projection_lag_p99_ms over
// every event the two read models (referrals and caseload) handled, from the
// time the store recorded it (its batch decided, just before the fsync) to
// the read model having applied it. Details go to stderr.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"syscall"
	"time"
)

const (
	minDuration   = 10 * time.Second
	shortDuration = 2 * time.Second
	benchDir      = ".bench"
)

type config struct {
	duration   time.Duration
	clients    int
	short      bool
	cpuProfile string
}

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "benchict:", err)
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

	// Clients stop on time and the shutdown waits are bounded; this bounds
	// the rest (a close that hangs, say).
	bound := cfg.duration + 3*time.Minute
	watchdog := time.AfterFunc(bound, func() {
		fmt.Fprintf(stderr, "benchict: run exceeded its bound of %v; data may be left under %s\n", bound, benchDir)
		os.Exit(2)
	})
	defer watchdog.Stop()

	if err := os.MkdirAll(benchDir, 0o755); err != nil {
		return err
	}
	dir, err := os.MkdirTemp(benchDir, "benchict-")
	if err != nil {
		return err
	}
	defer func() {
		if rmErr := os.RemoveAll(dir); rmErr != nil && err == nil {
			err = rmErr
		}
		_ = os.Remove(benchDir) // only if nothing else is in it
	}()
	abs, _ := filepath.Abs(dir)
	fmt.Fprintf(stderr, "benchict: %d clients for %v, data in %s\n", cfg.clients, cfg.duration, abs)

	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	res, err := runBench(ctx, cfg, dir, stderr)
	if err != nil {
		return err
	}
	res.report(stderr)
	fmt.Fprintln(stdout, res.line())
	return nil
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("benchict", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	fs.DurationVar(&cfg.duration, "duration", minDuration, "how long clients start new lifecycles (at least 10s unless -short)")
	fs.IntVar(&cfg.clients, "clients", 16, "concurrent clients, each running one lifecycle at a time")
	fs.BoolVar(&cfg.short, "short", false, "smoke run: 2s (unless -duration is given); numbers are not comparable")
	fs.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this file")
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
