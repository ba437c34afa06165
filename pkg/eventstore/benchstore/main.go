//go:build linux

// Command benchstore measures durable append throughput and latency of event
// store backends under one workload: 64 concurrent writers, each appending
// single-event commands round-robin to streams of its own with exact expected
// revisions (NoStream first, then Exact(rev)).
//
// For each backend it prints exactly one line on stdout:
//
//	bench-store backend=<name> writers=64 events_per_s=<N> p50_ms=<x> p99_ms=<x> events_per_fsync=<x> fsync_limit_per_s=<N>
//
// fsync_limit_per_s is the raw rate of this disk for a 4 KiB write followed by
// fdatasync, measured in the same run in the directory that holds the store's
// data. Everything else (details, warnings) goes to stderr.
//
// The postgres backend needs a server: scripts/bench-store.sh starts a
// throwaway one on loopback and passes -pg-dsn.
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
	"slices"
	"strings"
	"syscall"
	"time"

	"carecoord/pkg/benchkit"
)

const (
	minDuration   = 10 * time.Second
	shortDuration = 2 * time.Second
)

type config struct {
	duration         time.Duration
	short            bool
	baseDir          string // directory on the disk under test, holds runDir
	runDir           string // fresh directory of this run, removed at exit unless keep
	keep             bool
	backends         []string
	pgDSN            string
	writers          int
	streamsPerWriter int
	cpuProfile       string
	fsyncProbe       time.Duration
	// raft is -raft: the bench-raft comparison (raftmode.go) instead of a
	// line per backend.
	raft bool
}

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "benchstore:", err)
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

	// Writers stop on time and setup has its own timeouts; this bounds the
	// rest (a store whose Close hangs, say).
	bound := time.Duration(len(cfg.backends)) * (2*cfg.fsyncProbe + cfg.duration + 3*time.Minute)
	watchdog := time.AfterFunc(bound, func() {
		fmt.Fprintf(stderr, "benchstore: run exceeded its bound of %v; data may be left in %s\n", bound, cfg.baseDir)
		os.Exit(2)
	})
	defer watchdog.Stop()

	if err := os.MkdirAll(cfg.baseDir, 0o755); err != nil {
		return err
	}
	if tmpfs, fsName, err := isMemoryFS(cfg.baseDir); err != nil {
		return err
	} else if tmpfs {
		return fmt.Errorf("data dir %s is on %s: fsync numbers would be meaningless; pass -dir on a real disk", cfg.baseDir, fsName)
	}
	cfg.runDir, err = os.MkdirTemp(cfg.baseDir, "benchstore-")
	if err != nil {
		return err
	}
	if cfg.keep {
		fmt.Fprintf(stderr, "benchstore: keeping data in %s\n", cfg.runDir)
	} else {
		defer func() {
			if rmErr := os.RemoveAll(cfg.runDir); rmErr != nil && err == nil {
				err = rmErr
			}
		}()
	}

	if cfg.raft {
		return runRaftBench(ctx, cfg, stdout, stderr)
	}
	for _, name := range cfg.backends {
		if err := ctx.Err(); err != nil {
			return err
		}
		// The disk's rate drifts (shared hardware): probe it right before each
		// backend, in the directory that holds the backend's data.
		probe, err := probeDisk(ctx, cfg, stderr)
		if err != nil {
			return err
		}
		line, err := runBackend(ctx, cfg, name, probe, stderr)
		if err != nil {
			return fmt.Errorf("backend %s: %w", name, err)
		}
		fmt.Fprintln(stdout, line)
	}
	return nil
}

func probeDisk(ctx context.Context, cfg config, stderr io.Writer) (fsyncResult, error) {
	probe, err := measureFsync(ctx, cfg.runDir, cfg.fsyncProbe)
	if err != nil {
		return probe, fmt.Errorf("fsync probe: %w", err)
	}
	grow, err := measureAppendFsync(ctx, cfg.runDir, cfg.fsyncProbe/2)
	if err != nil {
		return probe, fmt.Errorf("fsync probe: %w", err)
	}
	fmt.Fprintf(stderr, "benchstore: fsync probe in %s: 4 KiB write + fdatasync %.0f/s (mean %.3f ms); on a file growing with each write %.0f/s (mean %.3f ms)\n",
		cfg.runDir, probe.perSecond(), probe.meanMillis(), grow.perSecond(), grow.meanMillis())
	return probe, nil
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("benchstore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	var backends string
	fs.DurationVar(&cfg.duration, "duration", minDuration, "how long each backend runs the workload (at least 10s unless -short)")
	fs.BoolVar(&cfg.short, "short", false, "smoke run: 2s per backend (unless -duration is given) and a shorter fsync probe; numbers are not comparable")
	fs.StringVar(&cfg.baseDir, "dir", "", "directory on the disk under test; the run makes a fresh subdirectory in it and removes it at exit (default <repo>/.bench)")
	fs.BoolVar(&cfg.keep, "keep", false, "keep the run's data directory")
	fs.StringVar(&backends, "backends", "embedded,postgres", "comma-separated backends to run: embedded, postgres, raft")
	fs.StringVar(&cfg.pgDSN, "pg-dsn", "", "PostgreSQL connection string for the postgres backend (scripts/bench-store.sh starts a server and sets it)")
	fs.IntVar(&cfg.writers, "writers", 64, "concurrent writers")
	fs.IntVar(&cfg.streamsPerWriter, "streams-per-writer", 16, "streams each writer owns and appends to round-robin")
	fs.BoolVar(&cfg.raft, "raft", false, "make bench-raft: the embedded store, then a 3-node raft cluster and its failover, as one bench-raft line")
	fs.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile of each backend's timed run to this file (with several backends, <file>.<backend>)")
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
	cfg.fsyncProbe = 2 * time.Second
	if cfg.short {
		if !durationSet {
			cfg.duration = shortDuration
		}
		cfg.fsyncProbe = 500 * time.Millisecond
	}
	if cfg.duration <= 0 {
		return cfg, fmt.Errorf("-duration must be positive")
	}
	if !cfg.short && cfg.duration < minDuration {
		return cfg, fmt.Errorf("-duration %v is less than %v (use -short for a smoke run)", cfg.duration, minDuration)
	}
	if cfg.writers < 1 || cfg.streamsPerWriter < 1 {
		return cfg, fmt.Errorf("-writers and -streams-per-writer must be at least 1")
	}
	for _, b := range strings.Split(backends, ",") {
		b = strings.TrimSpace(b)
		if b == "" {
			continue
		}
		if _, ok := backendOpeners[b]; !ok {
			return cfg, fmt.Errorf("unknown backend %q (have %s)", b, strings.Join(knownBackends(), ", "))
		}
		if slices.Contains(cfg.backends, b) {
			return cfg, fmt.Errorf("backend %q listed twice", b)
		}
		cfg.backends = append(cfg.backends, b)
	}
	if len(cfg.backends) == 0 {
		return cfg, fmt.Errorf("-backends is empty")
	}
	if cfg.raft {
		cfg.backends = []string{"embedded", "raft"}
	}
	if slices.Contains(cfg.backends, "postgres") && cfg.pgDSN == "" {
		return cfg, fmt.Errorf("the postgres backend needs -pg-dsn: run scripts/bench-store.sh, which starts a server, or pass -backends embedded")
	}
	if cfg.baseDir == "" {
		dir, err := defaultBaseDir()
		if err != nil {
			return cfg, err
		}
		cfg.baseDir = dir
	}
	abs, err := filepath.Abs(cfg.baseDir)
	if err != nil {
		return cfg, err
	}
	cfg.baseDir = abs
	return cfg, nil
}

// defaultBaseDir is <repo>/.bench, the repo being the nearest directory above
// the working directory holding go.work (or .git); without one, ./.bench. It is
// never the system temp dir, which is often tmpfs.
func defaultBaseDir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; {
		for _, marker := range []string{"go.work", ".git"} {
			if _, err := os.Stat(filepath.Join(dir, marker)); err == nil {
				return filepath.Join(dir, ".bench"), nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return filepath.Join(wd, ".bench"), nil
		}
		dir = parent
	}
}

// target is what the workload drives: one backend, opened for one run.
type target interface {
	appender
	// startMeasure snapshots the backend's sync counters before the timed run.
	startMeasure(ctx context.Context) error
	// endMeasure returns the events written and fsyncs done since startMeasure,
	// ok false when the backend cannot tell its fsyncs. It is called once,
	// after every writer has stopped, and may shut the write path down.
	endMeasure(ctx context.Context, appendedEvents uint64) (events, fsyncs uint64, ok bool, err error)
	Close() error
}

type opener func(ctx context.Context, cfg config, stderr io.Writer) (target, error)

// backendOpeners is filled by the backend files' init functions.
var backendOpeners = map[string]opener{}

func knownBackends() []string {
	names := make([]string, 0, len(backendOpeners))
	for n := range backendOpeners {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func runBackend(ctx context.Context, cfg config, name string, probe fsyncResult, stderr io.Writer) (line string, err error) {
	setupCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	t, err := backendOpeners[name](setupCtx, cfg, stderr)
	if err != nil {
		return "", fmt.Errorf("open: %w", err)
	}
	defer func() {
		if cerr := t.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close: %w", cerr)
		}
	}()
	if err := t.startMeasure(setupCtx); err != nil {
		return "", fmt.Errorf("stats before run: %w", err)
	}

	if cfg.cpuProfile != "" {
		path := cfg.cpuProfile
		if len(cfg.backends) > 1 {
			path += "." + name
		}
		f, err := os.Create(path)
		if err != nil {
			return "", err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return "", err
		}
		defer func() {
			pprof.StopCPUProfile()
			fmt.Fprintf(stderr, "benchstore: %s CPU profile in %s\n", name, path)
		}()
	}

	res, err := runWorkload(ctx, t, workload{
		writers:          cfg.writers,
		streamsPerWriter: cfg.streamsPerWriter,
		duration:         cfg.duration,
	})
	if cfg.cpuProfile != "" {
		pprof.StopCPUProfile() // a second stop in the defer is a no-op
	}
	if err != nil {
		return "", err
	}

	measureCtx, cancelMeasure := context.WithTimeout(ctx, time.Minute)
	defer cancelMeasure()
	events, fsyncs, ok, err := t.endMeasure(measureCtx, res.events)
	if err != nil {
		return "", fmt.Errorf("stats after run: %w", err)
	}
	if events != res.events {
		fmt.Fprintf(stderr, "benchstore: %s: warning: store counted %d events written, the writers %d\n", name, events, res.events)
	}
	perFsync := "n/a"
	if ok && fsyncs > 0 {
		perFsync = fmt.Sprintf("%.2f", float64(events)/float64(fsyncs))
	}

	lat := res.latencies
	fmt.Fprintf(stderr, "benchstore: %s: %d appends in %v; latency ms: mean %.3f p50 %.3f p90 %.3f p99 %.3f p99.9 %.3f max %.3f; fsyncs %s\n",
		name, res.events, res.elapsed.Round(time.Millisecond),
		benchkit.Millis(mean(lat)), benchkit.Millis(benchkit.Percentile(lat, 50)), benchkit.Millis(benchkit.Percentile(lat, 90)),
		benchkit.Millis(benchkit.Percentile(lat, 99)), benchkit.Millis(benchkit.Percentile(lat, 99.9)), benchkit.Millis(benchkit.Percentile(lat, 100)),
		fsyncCount(fsyncs, ok))

	return formatLine(name, cfg.writers, res.eventsPerSecond(), benchkit.Percentile(lat, 50), benchkit.Percentile(lat, 99), perFsync, probe.perSecond()), nil
}

func formatLine(backend string, writers int, eventsPerSec float64, p50, p99 time.Duration, eventsPerFsync string, fsyncLimit float64) string {
	return fmt.Sprintf("bench-store backend=%s writers=%d events_per_s=%.0f p50_ms=%.3f p99_ms=%.3f events_per_fsync=%s fsync_limit_per_s=%.0f",
		backend, writers, eventsPerSec, benchkit.Millis(p50), benchkit.Millis(p99), eventsPerFsync, fsyncLimit)
}

func fsyncCount(n uint64, ok bool) string {
	if !ok {
		return "unknown"
	}
	return fmt.Sprint(n)
}
