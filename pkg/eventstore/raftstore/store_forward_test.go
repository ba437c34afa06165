package raftstore

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"carecoord/pkg/eventstore"
	"carecoord/pkg/eventstore/eventcodec"
	"carecoord/pkg/eventstore/raftstore/internal/wire"
)

func TestStore_follower_gets_the_leaders_typed_errors(t *testing.T) {
	c := newCluster(t, 3)
	f := c.follower()
	ctx := ctxFor(t, time.Minute)
	first := testEvent(0)
	if _, err := f.Append(ctx, "order-1", eventstore.NoStream, first); err != nil {
		t.Fatal(err)
	}

	_, err := f.Append(ctx, "order-1", eventstore.Exact(5), testEvent(1))
	var wev *eventstore.WrongExpectedVersionError
	if !errors.As(err, &wev) || !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
		t.Fatalf("conflict through a follower: %v (%T)", err, err)
	}
	if wev.Stream != "order-1" || !wev.ActualExists || wev.Actual != 0 || wev.Expected != eventstore.Exact(5) {
		t.Fatalf("conflict details: %+v", wev)
	}
	_, err = f.Append(ctx, "order-2", eventstore.StreamExists, testEvent(2))
	if !errors.As(err, &wev) || wev.ActualExists || wev.Expected != eventstore.StreamExists {
		t.Fatalf("conflict on a missing stream: %v", err)
	}

	// The same event ID in another stream.
	if _, err := f.Append(ctx, "order-3", eventstore.Any, first); !errors.Is(err, eventstore.ErrIdempotencyMismatch) {
		t.Fatalf("reused ID: %v", err)
	}

	if err := f.DeleteStream(ctx, "order-1", eventstore.Exact(0)); err != nil {
		t.Fatalf("delete through a follower: %v", err)
	}
	if _, err := f.Append(ctx, "order-1", eventstore.Any, testEvent(3)); !errors.Is(err, eventstore.ErrStreamDeleted) {
		t.Fatalf("append to a deleted stream: %v", err)
	}
	if err := f.DeleteStream(ctx, "order-1", eventstore.Any); !errors.Is(err, eventstore.ErrStreamDeleted) {
		t.Fatalf("deleting again: %v", err)
	}
	if _, err := f.ReadStream(ctx, "order-1", 0, eventstore.Forwards, 0); !errors.Is(err, eventstore.ErrStreamDeleted) {
		t.Fatalf("read after delete on the follower: %v", err)
	}

	// Bad input is refused on the follower, before any round trip...
	var iev *eventstore.InvalidEventError
	if _, err := f.Append(ctx, "order-4", eventstore.Any); !errors.As(err, &iev) {
		t.Fatalf("no events: %v", err)
	}
	if err := f.DeleteStream(ctx, "", eventstore.Any); !errors.Is(err, eventstore.ErrInvalidEvent) {
		t.Fatalf("delete of no stream: %v", err)
	}
	// ...and on the leader, whatever a follower sends it.
	leader := c.leader()
	for name, cmd := range map[string][]byte{
		"garbage":   {0xff, 0x01, 0x02},
		"no events": appendCommandBytes("order-5", nil),
	} {
		var reply wire.WriteReply
		if err := f.peers.call(ctx, leader.Addr(), wire.MethodWrite, &wire.WriteArgs{Command: cmd}, &reply); err != nil {
			t.Fatal(err)
		}
		if reply.Err.Code == wire.CodeOK || reply.Index != 0 {
			t.Fatalf("%s: the leader accepted a bad forwarded command: %+v", name, reply)
		}
	}
	// The cluster is none the worse.
	if _, err := f.Append(ctx, "order-6", eventstore.NoStream, testEvent(6)); err != nil {
		t.Fatal(err)
	}
}

func appendCommandBytes(stream string, evs []eventstore.EventData) []byte {
	buf := []byte{cmdAppend}
	buf = eventcodec.AppendString(buf, stream)
	buf = appendExpected(buf, eventstore.Any)
	buf = append(buf, byte(len(evs)))
	for i := range evs {
		buf = appendEvent(buf, &evs[i])
	}
	return buf
}

func TestStore_follower_reads_its_own_writes_at_once(t *testing.T) {
	c := newCluster(t, 3)
	f := c.follower()
	ctx := ctxFor(t, time.Minute)
	exp := eventstore.NoStream
	for i := 0; i < 200; i++ {
		e := testEvent(i)
		res, err := f.Append(ctx, "ryw", exp, e)
		if err != nil {
			t.Fatal(err)
		}
		evs, err := f.ReadStream(ctx, "ryw", eventstore.StreamEnd, eventstore.Backwards, 1)
		if err != nil || len(evs) != 1 || evs[0].ID != e.ID || evs[0].Position != res.Position {
			t.Fatalf("append %d not read back on the follower that made it: %v, %v", i, evs, err)
		}
		exp = eventstore.Exact(res.NextRevision)
	}
}

func TestStore_linearizable_barrier_shows_writes_made_elsewhere(t *testing.T) {
	c := newCluster(t, 3)
	leader := c.leader()
	var reader *Store
	for _, s := range c.up() {
		if s != leader {
			reader = s
		}
	}
	ctx := ctxFor(t, time.Minute)
	for i := 0; i < 50; i++ {
		stream := fmt.Sprintf("lin-%d", i)
		e := testEvent(i)
		if _, err := leader.Append(ctx, stream, eventstore.NoStream, e); err != nil {
			t.Fatal(err)
		}
		if err := reader.LinearizableBarrier(ctx); err != nil {
			t.Fatalf("barrier: %v", err)
		}
		if evs, err := reader.ReadStream(ctx, stream, 0, eventstore.Forwards, 0); err != nil || len(evs) != 1 || evs[0].ID != e.ID {
			t.Fatalf("after the barrier the follower does not see write %d: %v", i, err)
		}
	}
	if err := leader.LinearizableBarrier(ctx); err != nil {
		t.Fatalf("barrier on the leader: %v", err)
	}
}

func TestStore_without_a_quorum_writes_fail_unavailable_in_bounded_time(t *testing.T) {
	c := newCluster(t, 3, func(cfg *Config) { cfg.LeaderWait = 1500 * time.Millisecond })
	survivor := c.follower()
	for i := range c.cfgs {
		if c.nodes[i] != survivor {
			c.stop(i, true)
		}
	}
	start := time.Now()
	_, err := survivor.Append(context.Background(), "lonely", eventstore.Any, testEvent(0))
	took := time.Since(start)
	if !errors.Is(err, eventstore.ErrUnavailable) {
		t.Fatalf("append without a quorum: %v, want ErrUnavailable", err)
	}
	if took > 10*time.Second {
		t.Fatalf("gave up after %s", took)
	}
	// A caller's shorter deadline wins, and says both things.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err = survivor.Append(ctx, "lonely", eventstore.Any, eventstore.EventData{ID: uuid.New(), Type: "t.v1"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("append with a short deadline: %v", err)
	}
	if err := survivor.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := survivor.Append(context.Background(), "lonely", eventstore.Any, testEvent(1)); !errors.Is(err, eventstore.ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
}
