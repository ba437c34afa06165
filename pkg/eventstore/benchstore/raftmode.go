//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"carecoord/pkg/benchkit"
)

// runRaftBench is -raft (make bench-raft): the workload on the embedded
// store and then through a 3-node raft cluster, in the same run, then the
// leader's crash and the time to the next acknowledged append. It prints
// one line:
//
//	bench-raft nodes=3 writers=64 events_per_s=<N> p50_ms=<x> p99_ms=<x> failover_ms=<N> single_node_events_per_s=<N>
func runRaftBench(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	single, err := measure(ctx, cfg, "embedded", stderr, nil)
	if err != nil {
		return fmt.Errorf("embedded: %w", err)
	}
	var failover time.Duration
	cluster, err := measure(ctx, cfg, "raft", stderr, func(t target) error {
		d, crashed, err := t.(*raftTarget).failover(ctx)
		if err != nil {
			return err
		}
		failover = d
		fmt.Fprintf(stderr, "benchstore: raft: leader %s crashed; next append acknowledged after %v\n", crashed, d.Round(time.Millisecond))
		return nil
	})
	if err != nil {
		return fmt.Errorf("raft: %w", err)
	}
	fmt.Fprintf(stdout, "bench-raft nodes=%d writers=%d events_per_s=%.0f p50_ms=%.2f p99_ms=%.2f failover_ms=%d single_node_events_per_s=%.0f\n",
		raftNodes, cfg.writers, cluster.eventsPerSecond(),
		benchkit.Millis(benchkit.Percentile(cluster.latencies, 50)), benchkit.Millis(benchkit.Percentile(cluster.latencies, 99)),
		failover.Milliseconds(), single.eventsPerSecond())
	return nil
}

// measure opens a backend, runs the workload on it, calls after (when set)
// before closing it, and returns the workload's result.
func measure(ctx context.Context, cfg config, name string, stderr io.Writer, after func(target) error) (res result, err error) {
	setupCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	t, err := backendOpeners[name](setupCtx, cfg, stderr)
	if err != nil {
		return res, fmt.Errorf("open: %w", err)
	}
	defer func() {
		if cerr := t.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close: %w", cerr)
		}
	}()
	res, err = runWorkload(ctx, t, workload{writers: cfg.writers, streamsPerWriter: cfg.streamsPerWriter, duration: cfg.duration})
	if err != nil {
		return res, err
	}
	lat := res.latencies
	fmt.Fprintf(stderr, "benchstore: %s: %d appends in %v: %.0f/s; latency ms: p50 %.3f p90 %.3f p99 %.3f max %.3f\n",
		name, res.events, res.elapsed.Round(time.Millisecond), res.eventsPerSecond(),
		benchkit.Millis(benchkit.Percentile(lat, 50)), benchkit.Millis(benchkit.Percentile(lat, 90)),
		benchkit.Millis(benchkit.Percentile(lat, 99)), benchkit.Millis(benchkit.Percentile(lat, 100)))
	if after != nil {
		err = after(t)
	}
	return res, err
}
