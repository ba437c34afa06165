package raftstore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"carecoord/pkg/eventstore"
)

// smallSnapshots makes raft snapshot and compact its log after a few
// entries, so that tests can fall behind the trailing logs quickly.
func smallSnapshots(c *Config) {
	c.TrailingLogs = 10
	c.SnapshotThreshold = 20
	c.SnapshotInterval = 50 * time.Millisecond
}

// writeN appends n events, each to its own stream, through s, from a few
// goroutines.
func writeN(t *testing.T, s *Store, prefix string, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				stream := fmt.Sprintf("%s-%d", prefix, i)
				if _, err := s.Append(ctxFor(t, 30*time.Second), stream, eventstore.NoStream, testEvent(i)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func snapshotNow(t *testing.T, s *Store) {
	t.Helper()
	if err := s.raft.Snapshot().Error(); err != nil && !errors.Is(err, raft.ErrNothingNewToSnapshot) {
		t.Fatalf("snapshot on %s: %v", s.NodeID(), err)
	}
}

func TestStore_follower_behind_the_trailing_logs_catches_up_by_snapshot_install(t *testing.T) {
	c := newCluster(t, 3, smallSnapshots)
	writeN(t, c.leader(), "before", 50)
	c.waitConverged()
	f := c.follower()
	lagging := c.index(f)
	stoppedAt := f.raft.LastIndex()
	c.stop(lagging, false)

	leader := c.leader()
	writeN(t, leader, "while-down", 300)
	snapshotNow(t, leader)
	first, err := leader.logs.log.FirstIndex()
	if err != nil {
		t.Fatal(err)
	}
	if first <= stoppedAt+1 {
		t.Fatalf("the leader's log starts at %d, the stopped node's ends at %d: the test needs a gap", first, stoppedAt)
	}

	s := c.restart(lagging)
	c.waitConverged()
	if s.fsm.restores.Load() == 0 {
		t.Fatal("the node caught up without a snapshot install")
	}
	assertSameLogs(t, c.up())
	// And it carries on applying entries after the snapshot.
	writeN(t, c.leader(), "after", 20)
	c.waitConverged()
	assertSameLogs(t, c.up())
}

func TestStore_restart_replays_only_the_entries_its_store_lacks(t *testing.T) {
	c := newCluster(t, 3, smallSnapshots)
	writeN(t, c.leader(), "a", 100)
	c.waitConverged()
	f := c.follower()
	i := c.index(f)
	snapshotNow(t, f)
	writeN(t, c.leader(), "b", 30) // after the follower's snapshot
	c.waitConverged()
	c.stop(i, false)
	writeN(t, c.leader(), "c", 5) // while it is down: within the trailing logs
	s := c.restart(i)
	c.waitConverged()
	if n := s.fsm.restores.Load(); n != 0 {
		t.Fatalf("the restart restored %d snapshots; its store on disk was complete", n)
	}
	assertSameLogs(t, c.up())
}

func TestStore_a_node_whose_store_was_lost_restores_its_snapshot_at_start(t *testing.T) {
	c := newCluster(t, 3, smallSnapshots)
	writeN(t, c.leader(), "a", 100)
	c.waitConverged()
	f := c.follower()
	i := c.index(f)
	snapshotNow(t, f)
	c.stop(i, false)
	if err := os.RemoveAll(filepath.Join(c.cfgs[i].Dir, eventStoreDir)); err != nil {
		t.Fatal(err)
	}
	s := c.restart(i)
	if n := s.fsm.restores.Load(); n != 1 {
		t.Fatalf("restored %d snapshots at start, want 1", n)
	}
	c.waitConverged()
	assertSameLogs(t, c.up())
}
