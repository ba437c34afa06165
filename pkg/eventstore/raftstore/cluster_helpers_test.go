package raftstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"carecoord/pkg/eventstore"
)

// testCluster is a cluster of nodes in this process on loopback TCP.
type testCluster struct {
	t     testing.TB
	mu    sync.Mutex
	nodes []*Store // nil while a node is down
	cfgs  []Config
}

// fastTimings keeps elections short in tests, with room for the race
// detector on a 2-core machine.
func fastTimings(c *Config) {
	c.HeartbeatTimeout = 500 * time.Millisecond
	c.ElectionTimeout = 500 * time.Millisecond
	c.LeaderLeaseTimeout = 250 * time.Millisecond
	c.CommitTimeout = 5 * time.Millisecond
	c.LeaderWait = 10 * time.Second
}

func testLogger(t testing.TB) *zap.Logger {
	if os.Getenv("RAFTSTORE_TEST_LOG") != "" {
		return zaptest.NewLogger(t)
	}
	return zap.NewNop()
}

var clusters sync.Map // *Store -> *testCluster

// newCluster starts n nodes: the first bootstraps, the others join through
// it. tune adjusts every node's config.
func newCluster(t testing.TB, n int, tune ...func(*Config)) *testCluster {
	t.Helper()
	c := &testCluster{t: t}
	t.Cleanup(c.closeAll)
	base := t.TempDir()
	for i := 0; i < n; i++ {
		cfg := Config{
			NodeID:   fmt.Sprintf("node%d", i),
			BindAddr: "127.0.0.1:0",
			Dir:      filepath.Join(base, fmt.Sprintf("node%d", i)),
			Logger:   testLogger(t).Named(fmt.Sprintf("node%d", i)),
		}
		fastTimings(&cfg)
		for _, f := range tune {
			f(&cfg)
		}
		if i == 0 {
			cfg.Bootstrap = true
		} else {
			cfg.Join = []string{c.nodes[0].Addr()}
		}
		s := c.open(cfg)
		c.mu.Lock()
		c.nodes = append(c.nodes, s)
		c.mu.Unlock()
		if i == 0 {
			c.waitLeader()
		}
		// Restarts bind where the node was: its address is in the raft
		// configuration.
		cfg.BindAddr = s.Addr()
		c.cfgs = append(c.cfgs, cfg)
	}
	c.waitMembers(n)
	return c
}

func (c *testCluster) open(cfg Config) *Store {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Open(ctx, cfg)
	if err != nil {
		c.t.Fatalf("open %s: %v", cfg.NodeID, err)
	}
	clusters.Store(s, c)
	return s
}

func clusterOf(s eventstore.Store) *testCluster {
	c, _ := clusters.Load(s)
	return c.(*testCluster)
}

func (c *testCluster) up() []*Store {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*Store
	for _, s := range c.nodes {
		if s != nil {
			out = append(out, s)
		}
	}
	return out
}

// waitLeader waits until a running node leads (leadership established) and
// every running node knows it.
func (c *testCluster) waitLeader() *Store {
	c.t.Helper()
	var leader *Store
	waitUntil(c.t, 30*time.Second, "a leader every node knows", func() bool {
		leader = nil
		nodes := c.up()
		for _, s := range nodes {
			if s.IsLeader() {
				leader = s
			}
		}
		if leader == nil {
			return false
		}
		for _, s := range nodes {
			if _, id := s.raft.LeaderWithID(); string(id) != leader.NodeID() {
				return false
			}
		}
		return true
	})
	return leader
}

func (c *testCluster) leader() *Store { return c.waitLeader() }

// follower returns a running node that does not lead.
func (c *testCluster) follower() *Store {
	c.t.Helper()
	leader := c.waitLeader()
	for _, s := range c.up() {
		if s != leader {
			return s
		}
	}
	c.t.Fatal("no follower")
	return nil
}

func (c *testCluster) waitMembers(n int) {
	c.t.Helper()
	waitUntil(c.t, 30*time.Second, fmt.Sprintf("%d members", n), func() bool {
		for _, s := range c.up() {
			if len(s.Status().Servers) != n {
				return false
			}
		}
		return true
	})
	c.waitLeader()
}

// waitConverged waits until every running node has applied as much as the
// leader.
func (c *testCluster) waitConverged() {
	c.t.Helper()
	leader := c.waitLeader()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := leader.LinearizableBarrier(ctx); err != nil {
		c.t.Fatalf("barrier on the leader: %v", err)
	}
	want := leader.fsm.applied.Load()
	waitUntil(c.t, 60*time.Second, "every node applied the leader's index", func() bool {
		for _, s := range c.up() {
			if s.fsm.applied.Load() < want {
				return false
			}
		}
		return true
	})
}

func (c *testCluster) index(s *Store) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, n := range c.nodes {
		if n == s {
			return i
		}
	}
	c.t.Fatalf("node %s is not in the cluster", s.NodeID())
	return -1
}

// stop closes node i (gracefully, or abruptly: the network first).
func (c *testCluster) stop(i int, abrupt bool) {
	c.mu.Lock()
	s := c.nodes[i]
	c.nodes[i] = nil
	c.mu.Unlock()
	if s == nil {
		return
	}
	shut := s.Close
	if abrupt {
		shut = s.Crash
	}
	if err := shut(); err != nil {
		c.t.Logf("close %s: %v", s.NodeID(), err)
	}
}

// restart opens node i again from its directory, at its address, with no
// bootstrap or join.
func (c *testCluster) restart(i int) *Store {
	c.t.Helper()
	cfg := c.cfgs[i]
	cfg.Bootstrap, cfg.Join = false, nil
	s := c.open(cfg)
	c.mu.Lock()
	c.nodes[i] = s
	c.mu.Unlock()
	return s
}

func (c *testCluster) closeAll() {
	c.mu.Lock()
	n := len(c.nodes)
	c.mu.Unlock()
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); c.stop(i, false) }()
	}
	wg.Wait()
}

func waitUntil(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func ctxFor(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
