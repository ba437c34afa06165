package raftstore

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"carecoord/pkg/eventstore"
)

// add starts one more node that joins through the given addresses.
func (c *testCluster) add(t *testing.T, id string, join []string, nonVoter bool) *Store {
	t.Helper()
	cfg := Config{NodeID: id, BindAddr: "127.0.0.1:0", Dir: filepath.Join(t.TempDir(), id), Join: join, NonVoter: nonVoter, Logger: testLogger(t).Named(id)}
	fastTimings(&cfg)
	s := c.open(cfg)
	cfg.BindAddr = s.Addr()
	c.mu.Lock()
	c.nodes = append(c.nodes, s)
	c.cfgs = append(c.cfgs, cfg)
	c.mu.Unlock()
	return s
}

func suffrageIn(st Status, id string) Suffrage {
	for _, srv := range st.Servers {
		if srv.ID == id {
			return srv.Suffrage
		}
	}
	return ""
}

// nextValue waits for a leadership watcher's next value.
func nextValue(t *testing.T, ch <-chan bool, want bool) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case v, ok := <-ch:
			if !ok {
				t.Fatal("leadership channel closed")
			}
			if v == want {
				return
			}
		case <-deadline:
			t.Fatalf("leadership never became %v", want)
		}
	}
}

func TestStore_join_as_nonvoter_promote_transfer_and_remove_from_any_node(t *testing.T) {
	c := newCluster(t, 2)
	n0, n1 := c.nodes[0], c.nodes[1]
	if !n0.IsLeader() || n1.IsLeader() {
		t.Fatalf("node0 should lead: %v %v", n0.IsLeader(), n1.IsLeader())
	}
	ctx := ctxFor(t, time.Minute)
	watch0 := n0.LeaderChanges(ctx)
	nextValue(t, watch0, true)

	// A new node joins as a non-voter through the follower, which forwards.
	n2 := c.add(t, "node2", []string{n1.Addr()}, true)
	c.waitMembers(3)
	if got := suffrageIn(n0.Status(), "node2"); got != NonVoter {
		t.Fatalf("node2 joined as %q, want a non-voter", got)
	}
	// It serves writes (forwarded) and reads.
	if _, err := n2.Append(ctx, "nv-1", eventstore.NoStream, testEvent(0)); err != nil {
		t.Fatalf("append through the non-voter: %v", err)
	}
	if evs, err := n2.ReadStream(ctx, "nv-1", 0, eventstore.Forwards, 0); err != nil || len(evs) != 1 {
		t.Fatalf("read on the non-voter: %d events, %v", len(evs), err)
	}

	// Promoted by a request made on a follower.
	if err := n1.Join(ctx, "node2", n2.Addr(), true); err != nil {
		t.Fatalf("promote: %v", err)
	}
	waitUntil(t, 30*time.Second, "node2 a voter", func() bool { return suffrageIn(n0.Status(), "node2") == Voter })

	// Leadership handed to node2, asked on node1: watchers on both sides see it.
	watch2 := n2.LeaderChanges(ctx)
	nextValue(t, watch2, false)
	if err := n1.TransferLeadership(ctx, "node2"); err != nil {
		t.Fatalf("transfer: %v", err)
	}
	nextValue(t, watch2, true)
	nextValue(t, watch0, false)
	if !n2.IsLeader() || n0.IsLeader() {
		t.Fatal("leadership did not move to node2")
	}

	// node1 removed by a request made on node0, now a follower.
	if err := n0.Remove(ctx, "node1"); err != nil {
		t.Fatalf("remove: %v", err)
	}
	waitUntil(t, 30*time.Second, "two members", func() bool { return len(n2.Status().Servers) == 2 && len(n0.Status().Servers) == 2 })
	c.stop(1, false)
	// The two voters left commit on their own.
	if _, err := n0.Append(ctx, "nv-1", eventstore.Exact(0), testEvent(1)); err != nil {
		t.Fatalf("append after the remove: %v", err)
	}

	// An operator's status query needs no Store.
	st, err := QueryStatus(ctx, n0.Addr())
	if err != nil {
		t.Fatal(err)
	}
	if st.NodeID != "node0" || st.LeaderID != "node2" || len(st.Servers) != 2 || st.AppliedIndex == 0 || st.Term == 0 {
		t.Fatalf("status: %+v", st)
	}
}

func TestStore_transfer_to_any_voter_and_back(t *testing.T) {
	c := newCluster(t, 3)
	old := c.leader()
	ctx := ctxFor(t, time.Minute)
	if err := c.follower().TransferLeadership(ctx, ""); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 30*time.Second, "a new leader", func() bool {
		l := c.waitLeader()
		return l != old
	})
	if err := c.leader().TransferLeadership(ctx, old.NodeID()); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 30*time.Second, "the old leader back", func() bool { return old.IsLeader() })
}

func TestStore_a_restarted_node_needs_neither_bootstrap_nor_join(t *testing.T) {
	c := newCluster(t, 3)
	writeN(t, c.leader(), "s", 20)
	c.closeAll()
	for i := range c.cfgs {
		if i == 0 {
			continue // node0 stays down: two of three make a quorum
		}
		c.restart(i)
	}
	l := c.waitLeader()
	if _, err := l.Append(ctxFor(t, 30*time.Second), fmt.Sprintf("s-%d", 0), eventstore.Exact(0), testEvent(1)); err != nil {
		t.Fatal(err)
	}
	c.restart(0)
	c.waitConverged()
	assertSameLogs(t, c.up())
}

func TestStore_open_refuses_a_directory_of_another_node(t *testing.T) {
	c := newCluster(t, 1)
	cfg := c.cfgs[0]
	c.stop(0, false)
	cfg.NodeID = "someone-else"
	cfg.BindAddr = "127.0.0.1:0"
	if s, err := Open(context.Background(), cfg); err == nil {
		s.Close()
		t.Fatal("opened another node's data directory")
	}
}

func TestStore_leader_changes_fan_out_to_every_watcher_and_end_with_their_context(t *testing.T) {
	c := newCluster(t, 3)
	leader := c.leader()
	ctxA, cancelA := context.WithCancel(context.Background())
	ctxB, cancelB := context.WithCancel(context.Background())
	defer cancelB()
	a, b := leader.LeaderChanges(ctxA), leader.LeaderChanges(ctxB)
	nextValue(t, a, true)
	nextValue(t, b, true)
	cancelA()
	waitUntil(t, 10*time.Second, "the cancelled watcher's channel closed", func() bool {
		select {
		case _, ok := <-a:
			return !ok
		default:
			return false
		}
	})
	if err := leader.TransferLeadership(ctxFor(t, time.Minute), ""); err != nil {
		t.Fatal(err)
	}
	nextValue(t, b, false)
	if leader.IsLeader() {
		t.Fatal("IsLeader after handing leadership over")
	}
	// Closing the store ends the remaining watcher.
	c.stop(c.index(leader), false)
	waitUntil(t, 10*time.Second, "the watcher's channel closed at store close", func() bool {
		select {
		case _, ok := <-b:
			return !ok
		default:
			return false
		}
	})
}

func TestRequest_calls_reach_the_leader_through_any_member(t *testing.T) {
	c := newCluster(t, 3)
	ctx := ctxFor(t, time.Minute)
	via := c.follower().Addr()

	// A node started with neither bootstrap nor join waits to be added.
	n3 := c.add(t, "node3", nil, false)
	if err := RequestJoin(ctx, via, "node3", n3.Addr(), false); err != nil {
		t.Fatalf("join: %v", err)
	}
	c.waitMembers(4)
	if got := suffrageIn(c.leader().Status(), "node3"); got != NonVoter {
		t.Fatalf("node3 joined as %q", got)
	}

	old := c.leader()
	if err := RequestTransfer(ctx, via, ""); err != nil {
		t.Fatalf("transfer: %v", err)
	}
	waitUntil(t, 30*time.Second, "a new leader", func() bool { return c.waitLeader() != old })

	if err := RequestRemove(ctx, via, "node3"); err != nil {
		t.Fatalf("remove: %v", err)
	}
	waitUntil(t, 30*time.Second, "three members", func() bool { return len(c.leader().Status().Servers) == 3 })
}
