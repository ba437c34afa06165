//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"

	"carecoord/pkg/eventstore"
	"carecoord/pkg/eventstore/raftstore"
)

func init() { backendOpeners["raft"] = openRaft }

// raftNodes is the size of the benchmark's cluster.
const raftNodes = 3

// raftTarget is a cluster of raftNodes nodes in this process, talking over
// loopback TCP as separate machines would. Each stream's appends go to one
// node picked by the stream's name, so that two thirds of them are
// forwarded by a follower to the leader, as clients spread over a cluster's
// nodes would have them.
type raftTarget struct {
	stderr io.Writer
	dir    string
	keep   bool
	nodes  []*raftstore.Store
	alive  []bool
}

func openRaft(ctx context.Context, cfg config, stderr io.Writer) (target, error) {
	t := &raftTarget{stderr: stderr, dir: filepath.Join(cfg.runDir, "raft"), keep: cfg.keep}
	for i := range raftNodes {
		c := raftstore.Config{
			NodeID:   fmt.Sprintf("node%d", i+1),
			BindAddr: "127.0.0.1:0",
			Dir:      filepath.Join(t.dir, fmt.Sprintf("node%d", i+1)),
		}
		if i == 0 {
			c.Bootstrap = true
		} else {
			c.Join = []string{t.nodes[0].Addr()}
		}
		n, err := raftstore.Open(ctx, c)
		if err != nil {
			t.Close()
			return nil, err
		}
		t.nodes = append(t.nodes, n)
		t.alive = append(t.alive, true)
		if i == 0 {
			if err := n.WaitForLeader(ctx); err != nil {
				t.Close()
				return nil, err
			}
		}
	}
	for {
		if st := t.nodes[0].Status(); len(st.Servers) == raftNodes && st.LeaderID != "" {
			fmt.Fprintf(stderr, "benchstore: raft: %d nodes, leader %s\n", raftNodes, st.LeaderID)
			return t, nil
		}
		select {
		case <-ctx.Done():
			t.Close()
			return nil, fmt.Errorf("the cluster did not form: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (t *raftTarget) nodeFor(stream string) *raftstore.Store {
	h := fnv.New32a()
	h.Write([]byte(stream))
	return t.nodes[int(h.Sum32())%len(t.nodes)]
}

func (t *raftTarget) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	return t.nodeFor(stream).Append(ctx, stream, expected, events...)
}

func (t *raftTarget) startMeasure(context.Context) error { return nil }

// endMeasure: the cluster has no fsync counter to offer (the log store's
// syncs are raft's), so events_per_fsync is n/a.
func (t *raftTarget) endMeasure(_ context.Context, appended uint64) (uint64, uint64, bool, error) {
	return appended, 0, false, nil
}

// failover crashes the leader and returns the time from the crash to the
// next acknowledged append, made through a surviving node and retried
// there (the same event, so idempotently) until one is acknowledged.
func (t *raftTarget) failover(ctx context.Context) (time.Duration, string, error) {
	leader := -1
	for i, n := range t.nodes {
		if t.alive[i] && n.IsLeader() {
			leader = i
		}
	}
	if leader < 0 {
		return 0, "", errors.New("no leader to crash")
	}
	via := t.nodes[(leader+1)%len(t.nodes)]
	ev := eventstore.EventData{ID: uuid.New(), Type: "bench.AfterFailover.v1", Data: []byte(`{"n":1}`)}
	stream := "bench-failover-" + uuid.NewString()
	start := time.Now()
	if err := t.nodes[leader].Crash(); err != nil {
		fmt.Fprintf(t.stderr, "benchstore: raft: crash of the leader: %v\n", err)
	}
	t.alive[leader] = false
	crashed := t.nodes[leader].NodeID()
	for {
		actx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		_, err := via.Append(actx, stream, eventstore.NoStream, ev)
		cancel()
		if err == nil {
			return time.Since(start), crashed, nil
		}
		if ctx.Err() != nil {
			return 0, crashed, fmt.Errorf("no append acknowledged after the leader's crash: %w", err)
		}
		if time.Since(start) > time.Minute {
			return 0, crashed, fmt.Errorf("no append acknowledged within a minute of the leader's crash: %w", err)
		}
	}
}

func (t *raftTarget) Close() error {
	var errs []error
	for i, n := range t.nodes {
		if t.alive[i] {
			errs = append(errs, n.Close())
		}
	}
	if !t.keep {
		errs = append(errs, os.RemoveAll(t.dir))
	}
	return errors.Join(errs...)
}
