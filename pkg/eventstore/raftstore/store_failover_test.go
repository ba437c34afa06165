package raftstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"carecoord/pkg/eventstore"
)

// ack is an append a writer was told succeeded.
type ack struct {
	id     uuid.UUID
	stream string
	rev    uint64
}

// writer appends to its own stream through one node until stopped,
// retrying an append whose outcome it did not learn (same event, same
// expectation: idempotent) and stopping when its node closes.
type writer struct {
	s      *Store
	stream string
	acks   []ack
	retry  int
	err    error
}

func (w *writer) run(stop <-chan struct{}, acked *atomic.Int64) {
	exp := eventstore.NoStream
	var pending *eventstore.EventData
	for {
		select {
		case <-stop:
			return
		default:
		}
		if pending == nil {
			pending = &eventstore.EventData{ID: uuid.New(), Type: "test.Happened.v1", Data: []byte(fmt.Sprintf(`{"n":%d}`, len(w.acks)))}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		res, err := w.s.Append(ctx, w.stream, exp, *pending)
		cancel()
		switch {
		case err == nil:
			w.acks = append(w.acks, ack{id: pending.ID, stream: w.stream, rev: res.NextRevision})
			acked.Add(1)
			exp = eventstore.Exact(res.NextRevision)
			pending = nil
		case errors.Is(err, eventstore.ErrClosed):
			return
		case errors.Is(err, eventstore.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
			w.retry++
		default:
			w.err = err
			return
		}
	}
}

func TestStore_leader_killed_abruptly_writes_resume_and_it_catches_up(t *testing.T) {
	c := newCluster(t, 3)
	var acked atomic.Int64
	stop := make(chan struct{})
	var writers []*writer
	var wg sync.WaitGroup
	for i, s := range c.up() {
		for j := 0; j < 4; j++ {
			w := &writer{s: s, stream: fmt.Sprintf("w-%d-%d", i, j)}
			writers = append(writers, w)
			wg.Add(1)
			go func() { defer wg.Done(); w.run(stop, &acked) }()
		}
	}
	waitUntil(t, 30*time.Second, "writes before the kill", func() bool { return acked.Load() >= 200 })

	old := c.leader()
	killed := c.index(old)
	c.stop(killed, true)
	atKill := acked.Load()
	newLeader := c.waitLeader()
	if newLeader == old {
		t.Fatal("the killed node still leads")
	}
	waitUntil(t, 30*time.Second, "writes on the new leader", func() bool { return acked.Load() >= atKill+200 })

	c.restart(killed)
	atRestart := acked.Load()
	waitUntil(t, 30*time.Second, "writes after the restart", func() bool { return acked.Load() >= atRestart+100 })
	close(stop)
	wg.Wait()
	retries := 0
	for _, w := range writers {
		if w.err != nil {
			t.Fatalf("writer of %s: %v", w.stream, w.err)
		}
		retries += w.retry
	}
	c.waitConverged()
	logs := assertSameLogs(t, c.up())
	assertAcksPresent(t, logs, writers)
	t.Logf("%d appends acknowledged, %d retried across the failover, %d events in the log", acked.Load(), retries, len(logs))
}

// assertSameLogs reads every node's whole log and checks they are
// identical; it returns one of them.
func assertSameLogs(t *testing.T, nodes []*Store) []eventstore.RecordedEvent {
	t.Helper()
	var first []eventstore.RecordedEvent
	for i, s := range nodes {
		all, err := s.ReadAll(ctxFor(t, time.Minute), eventstore.Start, eventstore.Forwards, 0)
		if err != nil {
			t.Fatalf("%s: read all: %v", s.NodeID(), err)
		}
		if i == 0 {
			first = all
			continue
		}
		if len(all) != len(first) {
			t.Fatalf("%s holds %d events, %s holds %d", s.NodeID(), len(all), nodes[0].NodeID(), len(first))
		}
		for j := range all {
			a, b := all[j], first[j]
			if a.ID != b.ID || a.Position != b.Position || a.Stream != b.Stream || a.Revision != b.Revision ||
				!a.RecordedAt.Equal(b.RecordedAt) || !bytes.Equal(a.Data, b.Data) || a.Type != b.Type {
				t.Fatalf("event %d differs between %s and %s", j, s.NodeID(), nodes[0].NodeID())
			}
		}
	}
	return first
}

func assertAcksPresent(t *testing.T, log []eventstore.RecordedEvent, writers []*writer) {
	t.Helper()
	type key struct {
		stream string
		rev    uint64
	}
	at := make(map[key]uuid.UUID, len(log))
	for _, e := range log {
		at[key{e.Stream, e.Revision}] = e.ID
	}
	for _, w := range writers {
		for _, a := range w.acks {
			if id, ok := at[key{a.stream, a.rev}]; !ok || id != a.id {
				t.Fatalf("acknowledged append %s@%d is not in the log", a.stream, a.rev)
			}
		}
	}
}

func testEvent(n int) eventstore.EventData {
	return eventstore.EventData{ID: uuid.New(), Type: "test.Happened.v1", Data: []byte(fmt.Sprintf(`{"n":%d}`, n))}
}
