package raftstore

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"carecoord/pkg/benchkit"
	"carecoord/pkg/eventstore"
	"carecoord/pkg/eventstore/embedded"
)

// TestThroughput measures appends per second: 64 writers, one small event
// per append, each writer on a stream of its own with exact expectations,
// for a few seconds each, through a 3-node loopback cluster and through a
// single embedded store (which fsyncs every group commit). It prints one
// line per setup. Run it with
//
//	CARECOORD_RAFT_BENCH=1 go test -run TestThroughput -v ./pkg/eventstore/raftstore/
//
// CARECOORD_RAFT_BENCH_SECONDS changes the duration of each run,
// CARECOORD_RAFT_BENCH_WRITERS the number of writers, and
// CARECOORD_RAFT_BENCH_ONLY runs only the setups whose name contains it.
func TestThroughput(t *testing.T) {
	if os.Getenv("CARECOORD_RAFT_BENCH") == "" {
		t.Skip("set CARECOORD_RAFT_BENCH=1 to measure throughput")
	}
	d := 5 * time.Second
	if v, err := strconv.Atoi(os.Getenv("CARECOORD_RAFT_BENCH_SECONDS")); err == nil && v > 0 {
		d = time.Duration(v) * time.Second
	}
	writers := 64
	if v, err := strconv.Atoi(os.Getenv("CARECOORD_RAFT_BENCH_WRITERS")); err == nil && v > 0 {
		writers = v
	}

	t.Run("embedded", func(t *testing.T) {
		if f := os.Getenv("CARECOORD_RAFT_BENCH_ONLY"); f != "" && !strings.Contains("embedded", f) {
			t.Skip()
		}
		s, err := embedded.Open(t.TempDir(), embedded.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		report(t, fmt.Sprintf("embedded (one node, fsync per group), %d writers", writers), measure(t, func(int) eventstore.Store { return s }, writers, d))
	})
	for _, run := range []struct {
		name   string
		tune   func(*Config)
		spread bool
	}{
		{name: "raft 3 nodes, writers on the leader"},
		{name: "raft 3 nodes, writers spread over all nodes (2/3 forwarded)", spread: true},
		{name: "raft 3 nodes, leader, no grouping (one append per entry)", tune: func(c *Config) { c.MaxBatchCommands = 1 }},
		{name: "raft 3 nodes, leader, 1 entry in flight", tune: func(c *Config) { c.MaxInflightEntries = 1 }},
		{name: "raft 3 nodes, leader, 2 entries in flight", tune: func(c *Config) { c.MaxInflightEntries = 2 }},
		{name: "raft 3 nodes, leader, 8 entries in flight", tune: func(c *Config) { c.MaxInflightEntries = 8 }},
		{name: "raft 3 nodes, leader, 16 entries in flight", tune: func(c *Config) { c.MaxInflightEntries = 16 }},
	} {
		if f := os.Getenv("CARECOORD_RAFT_BENCH_ONLY"); f != "" && !strings.Contains(run.name, f) {
			continue
		}
		t.Run(run.name, func(t *testing.T) {
			tune := []func(*Config){func(c *Config) {
				// Production timings, not the tests' short ones.
				c.HeartbeatTimeout, c.ElectionTimeout, c.LeaderLeaseTimeout, c.CommitTimeout = 0, 0, 0, 0
			}}
			if run.tune != nil {
				tune = append(tune, run.tune)
			}
			c := newCluster(t, 3, tune...)
			leader := c.leader()
			nodes := c.up()
			pick := func(w int) eventstore.Store {
				if run.spread {
					return nodes[w%len(nodes)]
				}
				return leader
			}
			r := measure(t, pick, writers, d)
			st := leader.Status()
			r.extra = fmt.Sprintf("raft entries %d", st.CommitIndex)
			report(t, fmt.Sprintf("%s, %d writers", run.name, writers), r)
		})
	}
}

type throughput struct {
	events    int
	elapsed   time.Duration
	latencies []time.Duration
	extra     string
}

func measure(t *testing.T, store func(w int) eventstore.Store, writers int, d time.Duration) throughput {
	var mu sync.Mutex
	var all []time.Duration
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(d)
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := store(w)
			stream := "bench-" + uuid.NewString()
			exp := eventstore.NoStream
			var lat []time.Duration
			for n := 0; time.Now().Before(end); n++ {
				ev := eventstore.EventData{ID: uuid.New(), Type: "bench.Happened.v1", Data: []byte(fmt.Sprintf(`{"writer":%d,"n":%d}`, w, n))}
				t0 := time.Now()
				res, err := s.Append(context.Background(), stream, exp, ev)
				if err != nil {
					errs <- err
					return
				}
				lat = append(lat, time.Since(t0))
				exp = eventstore.Exact(res.NextRevision)
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return throughput{events: len(all), elapsed: time.Since(start), latencies: all}
}

func report(t *testing.T, name string, r throughput) {
	perSec := float64(r.events) / r.elapsed.Seconds()
	p50 := benchkit.Millis(benchkit.Percentile(r.latencies, 50))
	p99 := benchkit.Millis(benchkit.Percentile(r.latencies, 99))
	line := fmt.Sprintf("%-66s %8.0f events/s  p50 %6.2f ms  p99 %6.2f ms  (%d appends in %.1fs", name, perSec, p50, p99, r.events, r.elapsed.Seconds())
	if r.extra != "" {
		line += ", " + r.extra
	}
	t.Log(line + ")")
	fmt.Println(line + ")")
}
