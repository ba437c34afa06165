package storetest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"carecoord/pkg/eventstore"
)

func testSubscribeCatchUpThenLive(t *testing.T, b Backend) {
	s, p := open(t, b)
	stream := p + "s"
	mustAppend(t, s, stream, eventstore.NoStream, ev("test.Happened.v1", stream, 0), ev("test.Happened.v1", stream, 1))
	c := collect(t, s, eventstore.SubscribeOptions{Filter: eventstore.Filter{StreamPrefixes: []string{p}}})
	old := c.take(t, 2, 30*time.Second)
	select {
	case <-c.caughtUp:
	case <-time.After(30 * time.Second):
		t.Fatal("subscription never said it had caught up")
	}
	mustAppend(t, s, stream, eventstore.Exact(1), ev("test.Happened.v1", stream, 2))
	live := c.take(t, 1, 30*time.Second)
	if old[0].Revision != 0 || old[1].Revision != 1 || live[0].Revision != 2 {
		t.Fatalf("delivered revisions %d %d %d", old[0].Revision, old[1].Revision, live[0].Revision)
	}
	c.quiet(t, 200*time.Millisecond)
	if c.caughtN != 1 {
		t.Fatalf("caught-up sent %d times, want once", c.caughtN)
	}
}

// testSubscribeMidWrite starts subscriptions while writers are running and
// checks that each sees every event exactly once, in log order.
func testSubscribeMidWrite(t *testing.T, b Backend) {
	s, p := open(t, b)
	const writers, each = 8, 60
	var written atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			<-start
			stream := fmt.Sprintf("%sw%d", p, w)
			exp := eventstore.NoStream
			for i := 0; i < each; i++ {
				res, err := s.Append(ctxT(t), stream, exp, ev("test.Happened.v1", stream, i))
				if err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
				exp = eventstore.Exact(res.NextRevision)
				written.Add(1)
			}
		}(w)
	}
	close(start)
	// Subscribe at three moments: early, mid-way, and (after wg) at the end.
	var subs []*collector
	waitFor(t, func() bool { return written.Load() >= writers*each/10 })
	subs = append(subs, collect(t, s, eventstore.SubscribeOptions{Filter: eventstore.Filter{StreamPrefixes: []string{p}}}))
	waitFor(t, func() bool { return written.Load() >= writers*each/2 })
	subs = append(subs, collect(t, s, eventstore.SubscribeOptions{Filter: eventstore.Filter{StreamPrefixes: []string{p}}}))
	wg.Wait()
	subs = append(subs, collect(t, s, eventstore.SubscribeOptions{Filter: eventstore.Filter{StreamPrefixes: []string{p}}}))
	want := readAllWithPrefix(t, s, p)
	if len(want) != writers*each {
		t.Fatalf("log has %d events, want %d", len(want), writers*each)
	}
	for i, c := range subs {
		got := c.take(t, len(want), 60*time.Second)
		for j := range want {
			if got[j].ID != want[j].ID || got[j].Position != want[j].Position {
				t.Fatalf("subscription %d: event %d is %s@%d pos %d, log has %s@%d pos %d",
					i, j, got[j].Stream, got[j].Revision, got[j].Position, want[j].Stream, want[j].Revision, want[j].Position)
			}
		}
		c.quiet(t, 100*time.Millisecond)
	}
}

func testSubscribeAfterPosition(t *testing.T, b Backend) {
	s, p := open(t, b)
	stream := p + "after"
	var results []eventstore.AppendResult
	for i := 0; i < 4; i++ {
		exp := eventstore.Exact(uint64(i - 1))
		if i == 0 {
			exp = eventstore.NoStream
		}
		results = append(results, mustAppend(t, s, stream, exp, ev("test.Happened.v1", stream, i)))
	}
	c := collect(t, s, eventstore.SubscribeOptions{After: results[1].Position, Filter: eventstore.Filter{StreamPrefixes: []string{p}}})
	got := c.take(t, 2, 30*time.Second)
	if got[0].Revision != 2 || got[1].Revision != 3 {
		t.Fatalf("subscription after revision 1's position delivered revisions %d, %d", got[0].Revision, got[1].Revision)
	}
	c.quiet(t, 200*time.Millisecond)
}

func testSubscribeFilters(t *testing.T, b Backend) {
	s, p := open(t, b)
	beds, falls := p+"beds-1", p+"falls-1"
	mustAppend(t, s, beds, eventstore.NoStream, ev("st.BedClosed.v1", beds, 0), ev("st.BedReopened.v1", beds, 1))
	mustAppend(t, s, falls, eventstore.NoStream, ev("st.FallReported.v1", falls, 0), ev("st.BedClosed.v1", falls, 1))

	byPrefix := collect(t, s, eventstore.SubscribeOptions{Filter: eventstore.Filter{StreamPrefixes: []string{p + "falls-"}}})
	got := byPrefix.take(t, 2, 30*time.Second)
	for _, e := range got {
		if e.Stream != falls {
			t.Fatalf("prefix filter delivered an event of %s", e.Stream)
		}
	}
	byPrefix.quiet(t, 200*time.Millisecond)

	byType := collect(t, s, eventstore.SubscribeOptions{Filter: eventstore.Filter{EventTypes: []string{"st.BedClosed.v1"}, StreamPrefixes: []string{p}}})
	got = byType.take(t, 2, 30*time.Second)
	if got[0].Stream != beds || got[1].Stream != falls || got[0].Type != "st.BedClosed.v1" || got[1].Type != "st.BedClosed.v1" {
		t.Fatalf("type filter delivered %s/%s and %s/%s", got[0].Stream, got[0].Type, got[1].Stream, got[1].Type)
	}
	byType.quiet(t, 200*time.Millisecond)

	// A sparse filter still reports progress, so a consumer can checkpoint.
	sparse, err := s.Subscribe(ctxT(t), eventstore.SubscribeOptions{
		Filter:             eventstore.Filter{EventTypes: []string{"st.NeverWritten.v1"}, StreamPrefixes: []string{p}},
		CheckpointInterval: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sparse.Close()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case m, ok := <-sparse.Messages():
			if !ok {
				t.Fatalf("subscription ended: %v", sparse.Err())
			}
			if m.Event != nil {
				t.Fatalf("filter matched nothing but delivered %s", m.Event.Type)
			}
			if m.Checkpoint > 0 {
				return
			}
		case <-deadline:
			t.Fatal("no checkpoint or caught-up position from a filter that matches nothing")
		}
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 60s")
		}
		time.Sleep(time.Millisecond)
	}
}
