package e2e

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
)

// raftCycles reads CARECOORD_RAFT_CYCLES, how many times the leader is
// killed: 1 by default (make test), 5 in make e2e, more in make e2e-raft.
func raftCycles(t *testing.T) int {
	t.Helper()
	v := os.Getenv("CARECOORD_RAFT_CYCLES")
	if v == "" {
		return 1
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("CARECOORD_RAFT_CYCLES=%q: want a whole number of at least 1", v)
	}
	return n
}

// behindTrailingLogs is how far (in raft entries) the leader's log must run
// ahead of a stopped node before it restarts, for the leader to have taken
// a snapshot and dropped the entries the node lacks: the entries that
// prompt a snapshot plus those kept after it, twice over, since snapshots
// are only considered every 1-2 s.
const behindTrailingLogs = 2 * (raftSnapshotThreshold + raftTrailingLogs)

// Three real carecoord nodes on loopback under a continuous GraphQL write
// load from several clients spread over all nodes (raft_load_test.go) are
// broken as hardware and operators break them, one phase after another:
//
//   - the leader is frozen (SIGSTOP) past the election timeout, as a long
//     pause or a partition would, and thawed;
//   - the leader is SIGKILLed, CARECOORD_RAFT_CYCLES times: a new leader
//     takes over, writes resume, the killed node restarts from its data
//     directory and catches up (on every second cycle only once the log has
//     run past the trailing logs, so through a snapshot);
//   - a follower is SIGKILLed and kept down past the trailing logs, and
//     comes back through a snapshot.
//
// After every phase, with the load paused, raft_check_test.go checks that
// no acknowledged write was lost or doubled and that the nodes hold the same
// log and the same read models.
func TestRaft_three_nodes_under_load_survive_leader_kills_pauses_and_restarts(t *testing.T) {
	c := newRaftCluster(t)
	l := startRaftLoad(t, c, boardBeds(t, c))
	phase := func(name string, f func(t *testing.T)) {
		waitAcks(t, l, l.ackCount()+50) // the phase starts under load
		if !t.Run(name, f) {
			t.FailNow() // the cluster is in no state for the next phase
		}
	}
	phase("leader_paused_past_election_timeout", func(t *testing.T) {
		pauseLeader(t, c, l)
		verifyCluster(t, c, l, "after the pause")
	})
	cycles := raftCycles(t)
	for i := 1; i <= cycles; i++ {
		viaSnapshot := i%2 == 0
		name := fmt.Sprintf("leader_killed_%d_of_%d", i, cycles)
		if viaSnapshot {
			name += "_back_from_snapshot"
		}
		phase(name, func(t *testing.T) {
			label := fmt.Sprintf("kill %d/%d", i, cycles)
			killLeader(t, c, l, label, viaSnapshot)
			verifyCluster(t, c, l, label)
		})
	}
	phase("follower_down_past_trailing_logs", func(t *testing.T) {
		killFollowerPastTrailingLogs(t, c, l)
		verifyCluster(t, c, l, "follower back from a snapshot")
	})
}

// pauseLeader freezes the leader for at least 3 s (three election
// timeouts): the other two elect a new leader and take writes while it is
// frozen; thawed, it steps down and follows. Writes its clients had in
// flight are retried elsewhere; verifyCluster then shows none lost or
// doubled.
func pauseLeader(t *testing.T, c *raftCluster, l *raftLoad) {
	t.Helper()
	old, st := c.waitLeader(t, 30*time.Second, nil)
	t0 := time.Now()
	c.pause(t, old)
	paused := true
	defer func() {
		if paused { // the test failed while it was frozen
			c.resume(t, old)
		}
	}()
	leader, nst := c.waitLeader(t, 30*time.Second, old)
	elected := time.Since(t0)
	first := waitNewAck(t, l, t0)
	pollUntil(t, 10*time.Second, 50*time.Millisecond, "3 s of pause", func() (bool, string) {
		return time.Since(t0) >= 3*time.Second, ""
	})
	rate := l.ackRate(t0.Add(-2*time.Second), time.Now())
	c.resume(t, old)
	paused = false
	stoppedFor := time.Since(t0)
	pollUntil(t, 30*time.Second, 100*time.Millisecond, "the thawed leader following the new one", func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		info, err := c.serverInfo(ctx, old.url())
		if err != nil {
			return false, err.Error()
		}
		return info.State == "Follower" && info.LeaderID == leader.id, fmt.Sprintf("%+v", info)
	})
	t.Logf("leader %s (term %d) stopped for %s: %s elected (term %d) after %s; first new write (first sent after the stop) acknowledged after %s (by %s, attempt %d); acks/s from 2 s before the stop to SIGCONT: %s; failed attempts: %s",
		old.id, st.Term, stoppedFor.Round(time.Millisecond), leader.id, nst.Term, elected.Round(time.Millisecond),
		first.at.Sub(t0).Round(time.Millisecond), c.nodes[first.node].id, first.attempts, rate, l.failureSummary(true))
}

// killLeader is one kill cycle: SIGKILL the leader, wait for a new one and
// for writes to resume, then restart the killed node (once the log has run
// past the trailing logs, when viaSnapshot) and wait until it has caught up.
func killLeader(t *testing.T, c *raftCluster, l *raftLoad, label string, viaSnapshot bool) {
	t.Helper()
	old, st := c.waitLeader(t, 30*time.Second, nil)
	t0 := time.Now()
	c.kill(t, old)
	leader, nst := c.waitLeader(t, 30*time.Second, old)
	elected := time.Since(t0)
	first := waitNewAck(t, l, t0)
	if viaSnapshot {
		c.waitLogAhead(t, leader, st.LastIndex+behindTrailingLogs)
	}
	downFor := time.Since(t0)
	caughtUp := c.restartAndCatchUp(t, old)
	var restores []logEntry
	if viaSnapshot {
		restores = waitSnapshotRestored(t, old)
	} else {
		restores = old.logLines("raft snapshot restored") // of the new process only
	}
	how := "from the leader's log"
	if len(restores) > 0 {
		how = fmt.Sprintf("through a snapshot (restored at index %v)", restores[len(restores)-1]["index"])
	}
	t.Logf("%s: killed leader %s (term %d, index %d); %s elected (term %d) after %s; first new write (first sent after the kill) acknowledged after %s (by %s, attempt %d); %s down %s, caught up %s in %s; acks/s from 2 s before the kill: %s; failed attempts: %s",
		label, old.id, st.Term, st.LastIndex, leader.id, nst.Term, elected.Round(time.Millisecond),
		first.at.Sub(t0).Round(time.Millisecond), c.nodes[first.node].id, first.attempts,
		old.id, downFor.Round(time.Millisecond), how, caughtUp.Round(time.Millisecond),
		l.ackRate(t0.Add(-2*time.Second), time.Now()), l.failureSummary(true))
}

// killFollowerPastTrailingLogs SIGKILLs a follower, keeps it down while the
// log runs past the trailing logs, restarts it and checks that it came back
// through a snapshot.
func killFollowerPastTrailingLogs(t *testing.T, c *raftCluster, l *raftLoad) {
	t.Helper()
	leader, _ := c.waitLeader(t, 30*time.Second, nil)
	var follower *raftNode
	for _, n := range c.nodes {
		if n != leader {
			follower = n
			break
		}
	}
	st, err := c.status(follower)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	c.kill(t, follower)
	c.waitLogAhead(t, leader, st.LastIndex+behindTrailingLogs)
	downFor := time.Since(t0)
	caughtUp := c.restartAndCatchUp(t, follower)
	restores := waitSnapshotRestored(t, follower)
	t.Logf("follower %s killed at raft index %d, down %s while the leader %s wrote %d+ entries; restarted, restored a snapshot at index %v and caught up in %s; acks/s from 2 s before the kill: %s; failed attempts: %s",
		follower.id, st.LastIndex, downFor.Round(time.Millisecond), leader.id, behindTrailingLogs, restores[len(restores)-1]["index"],
		caughtUp.Round(time.Millisecond), l.ackRate(t0.Add(-2*time.Second), time.Now()), l.failureSummary(true))
}

// waitSnapshotRestored waits for the node's current process to log that it
// restored a snapshot (the line may trail the restore it reports by a few
// milliseconds through the pipe) and returns those lines.
func waitSnapshotRestored(t *testing.T, n *raftNode) []logEntry {
	t.Helper()
	var restores []logEntry
	pollUntil(t, 15*time.Second, 50*time.Millisecond, fmt.Sprintf("%s, restarted %d+ raft entries behind (> %d trailing logs), to log \"raft snapshot restored\"", n.id, behindTrailingLogs, raftTrailingLogs), func() (bool, string) {
		restores = n.logLines("raft snapshot restored")
		return len(restores) > 0, "it has not"
	})
	return restores
}

// waitAcks waits until the load has n acknowledged writes.
func waitAcks(t *testing.T, l *raftLoad, n int) {
	t.Helper()
	pollUntil(t, 60*time.Second, 50*time.Millisecond, fmt.Sprintf("%d acknowledged writes", n), func() (bool, string) {
		got := l.ackCount()
		return got >= n, fmt.Sprintf("%d acknowledged; failed attempts: %s", got, l.failureSummary(false))
	})
}

// waitNewAck waits until a write first sent at or after t0 is
// acknowledged.
func waitNewAck(t *testing.T, l *raftLoad, t0 time.Time) writeAck {
	t.Helper()
	var first writeAck
	pollUntil(t, 60*time.Second, 20*time.Millisecond, "a write first sent after the failure acknowledged", func() (bool, string) {
		var ok bool
		first, ok = l.firstNewAck(t0)
		return ok, "failed attempts: " + l.failureSummary(false)
	})
	return first
}

// waitLogAhead waits until the leader's last raft index reaches index.
func (c *raftCluster) waitLogAhead(t *testing.T, leader *raftNode, index uint64) {
	t.Helper()
	pollUntil(t, 120*time.Second, 250*time.Millisecond, fmt.Sprintf("the leader's log at index %d", index), func() (bool, string) {
		st, err := c.status(leader)
		if err != nil {
			return false, err.Error()
		}
		return st.LastIndex >= index, fmt.Sprintf("%s at %d", leader.id, st.LastIndex)
	})
}

// restartAndCatchUp restarts a stopped node from its data directory and
// waits until its log position reaches what the others held when it
// started; it returns how long that took.
func (c *raftCluster) restartAndCatchUp(t *testing.T, n *raftNode) time.Duration {
	t.Helper()
	var target uint64
	for _, o := range c.nodes {
		if o == n || !o.up() {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		info, err := c.serverInfo(ctx, o.url())
		cancel()
		if err != nil {
			t.Fatalf("serverInfo of %s: %v", o.id, err)
		}
		target = max(target, info.LogPosition)
	}
	t0 := time.Now()
	c.restart(t, n)
	pollUntil(t, 120*time.Second, 100*time.Millisecond, fmt.Sprintf("%s caught up to log position %d", n.id, target), func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		info, err := c.serverInfo(ctx, n.url())
		if err != nil {
			return false, err.Error()
		}
		return info.LogPosition >= target, fmt.Sprintf("%+v", info)
	})
	return time.Since(t0)
}

// boardBeds lists the beds of the bed board, for the bed managers to share
// out.
func boardBeds(t *testing.T, c *raftCluster) []string {
	t.Helper()
	var out struct {
		BedBoard []struct{ Beds []struct{ ID string } }
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.query(ctx, c.nodes[0].url(), `{ bedBoard { beds { id } } }`, nil, &out); err != nil {
		t.Fatalf("bedBoard: %v", err)
	}
	var ids []string
	for _, w := range out.BedBoard {
		for _, b := range w.Beds {
			ids = append(ids, b.ID)
		}
	}
	return ids
}
