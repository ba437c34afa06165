package kurrentdb

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"carecoord/pkg/eventstore"
	"carecoord/pkg/eventstore/storetest"
)

// These tests run this package against fakeServer, a model of KurrentDB's
// gRPC service (see fakeserver_test.go). They check the package's own logic
// and its use of the client; TestConformance against a real server remains
// the test of the backend.

func openFake(t *testing.T, f *fakeServer, addr string) *Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Open(ctx, "esdb://"+addr+"?tls=false&maxDiscoverAttempts=2&discoveryInterval=20&gossipTimeout=1",
		WithLogger(quiet), WithResubscribeBackoff(10*time.Millisecond, 100*time.Millisecond), WithPageSize(64))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformanceAgainstFakeServer(t *testing.T) {
	f := newFakeServer()
	addr, _ := f.serve(t, "127.0.0.1:0")
	storetest.Run(t, storetest.Backend{
		Open:  func(t *testing.T) eventstore.Store { return openFake(t, f, addr) },
		Short: true,
	})
}

func appendN(t *testing.T, s *Store, stream string, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		exp := eventstore.Exact(uint64(i - 1))
		if i == 0 {
			exp = eventstore.NoStream
		}
		ev := eventstore.EventData{ID: eventstore.DeterministicID(stream, fmt.Sprint(i)), Type: "test.Happened.v1", Data: []byte(fmt.Sprintf(`{"n":%d}`, i))}
		if _, err := s.Append(context.Background(), stream, exp, ev); err != nil {
			t.Fatalf("append %s@%d: %v", stream, i, err)
		}
	}
}

// expectRevisions reads events from sub until it has n of them and checks
// they are revisions 0..n-1 of one stream, in order, exactly once.
func expectRevisions(t *testing.T, sub eventstore.Subscription, stream string, n int) (caughtUp bool) {
	t.Helper()
	got := 0
	deadline := time.After(20 * time.Second)
	for got < n {
		select {
		case m, ok := <-sub.Messages():
			if !ok {
				t.Fatalf("subscription ended after %d of %d events: %v", got, n, sub.Err())
			}
			if m.CaughtUp {
				caughtUp = true
			}
			if m.Event == nil {
				continue
			}
			if m.Event.Stream != stream || m.Event.Revision != uint64(got) {
				t.Fatalf("event %d is %s@%d", got, m.Event.Stream, m.Event.Revision)
			}
			got++
		case <-deadline:
			t.Fatalf("got %d of %d events", got, n)
		}
	}
	return caughtUp
}

func TestSubscriptionResumesAfterDropsWithoutGapsOrDuplicates(t *testing.T) {
	f := newFakeServer()
	addr, _ := f.serve(t, "127.0.0.1:0")
	s := openFake(t, f, addr)
	stream := "drops-" + uuid.NewString()[:8]
	appendN(t, s, stream, 0, 20)
	sub, err := s.Subscribe(context.Background(), eventstore.SubscribeOptions{Filter: eventstore.Filter{StreamPrefixes: []string{"drops-"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	for f.subscriptions.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 10; i++ {
			appendN(t, s, stream, 20+i*10, 10)
			n := f.subscriptions.Load()
			f.dropSubscriptions()
			f.writeSystemEvent()
			for f.subscriptions.Load() == n { // wait for the resubscription
				time.Sleep(time.Millisecond)
			}
		}
	}()
	expectRevisions(t, sub, stream, 120)
	<-done
	if n := f.subscriptions.Load(); n < 11 {
		t.Fatalf("only %d server subscriptions: the drops were not exercised", n)
	}
	select {
	case m := <-sub.Messages():
		if m.Event != nil {
			t.Fatalf("extra event %s@%d", m.Event.Stream, m.Event.Revision)
		}
	case <-time.After(100 * time.Millisecond):
	}
}

func TestStoreAndSubscriptionSurviveServerRestart(t *testing.T) {
	f := newFakeServer()
	addr, stop := f.serve(t, "127.0.0.1:0")
	s := openFake(t, f, addr)
	stream := "restart-" + uuid.NewString()[:8]
	appendN(t, s, stream, 0, 5)
	sub, err := s.Subscribe(context.Background(), eventstore.SubscribeOptions{Filter: eventstore.Filter{StreamPrefixes: []string{"restart-"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	expectRevisions(t, sub, stream, 5)

	s.mu.Lock()
	before := s.conn
	s.mu.Unlock()
	// Down long enough for the client's discovery to give up (it then
	// closes itself for good) and for calls to fail.
	stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_, err = s.Append(ctx, stream, eventstore.Exact(4), eventstore.EventData{ID: uuid.New(), Type: "test.Happened.v1", Data: []byte(`{}`)})
	cancel()
	if err == nil {
		t.Fatal("append succeeded with the server down")
	}
	time.Sleep(300 * time.Millisecond)

	_, stop2 := f.serve(t, addr)
	defer stop2()
	appendN(t, s, stream, 5, 5)
	got := 0
	deadline := time.After(20 * time.Second)
	for got < 5 {
		select {
		case m, ok := <-sub.Messages():
			if !ok {
				t.Fatalf("subscription ended: %v", sub.Err())
			}
			if m.Event == nil {
				continue
			}
			if m.Event.Revision != uint64(5+got) {
				t.Fatalf("after the restart got revision %d, want %d", m.Event.Revision, 5+got)
			}
			got++
		case <-deadline:
			t.Fatalf("after the restart got %d of 5 events", got)
		}
	}
	s.mu.Lock()
	after := s.conn
	s.mu.Unlock()
	if after == before || !before.retired.Load() {
		t.Fatal("the client in use before the restart was not replaced")
	}
	if n := f.subscriptions.Load(); n < 2 {
		t.Fatalf("%d server subscriptions: the subscription was not resumed", n)
	}
}

func TestReadAllSkipsTheServersOwnEvents(t *testing.T) {
	f := newFakeServer()
	addr, _ := f.serve(t, "127.0.0.1:0")
	s := openFake(t, f, addr)
	ctx := context.Background()
	appendN(t, s, "sys-1", 0, 2)
	f.writeSystemEvent()
	appendN(t, s, "$parked-sys", 0, 1) // carecoord's own system stream
	if err := s.DeleteStream(ctx, "sys-1", eventstore.Exact(1)); err != nil {
		t.Fatal(err)
	}
	f.writeSystemEvent()

	want := []string{"sys-1@0", "sys-1@1", "$parked-sys@0"}
	check := func(name string, evs []eventstore.RecordedEvent, want []string) {
		t.Helper()
		var got []string
		for _, e := range evs {
			got = append(got, fmt.Sprintf("%s@%d", e.Stream, e.Revision))
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("%s: %v, want %v", name, got, want)
		}
	}
	fwd, err := s.ReadAll(ctx, eventstore.Start, eventstore.Forwards, 0)
	if err != nil {
		t.Fatal(err)
	}
	check("forwards", fwd, want)
	back, err := s.ReadAll(ctx, eventstore.End, eventstore.Backwards, 0)
	if err != nil {
		t.Fatal(err)
	}
	check("backwards", back, []string{"$parked-sys@0", "sys-1@1", "sys-1@0"})
	// Paging one event at a time with the Position+1 idiom.
	var paged []eventstore.RecordedEvent
	for from := eventstore.Start; ; {
		page, err := s.ReadAll(ctx, from, eventstore.Forwards, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		from = page[0].Position + 1
	}
	check("paged", paged, want)
	// Backwards from an event's position includes it.
	fromMid, err := s.ReadAll(ctx, fwd[1].Position, eventstore.Backwards, 5)
	if err != nil {
		t.Fatal(err)
	}
	check("backwards from the middle", fromMid, []string{"sys-1@1", "sys-1@0"})
	// A carecoord system stream reads as usual.
	parked, err := s.ReadStream(ctx, "$parked-sys", 0, eventstore.Forwards, 0)
	if err != nil || len(parked) != 1 {
		t.Fatalf("reading $parked-sys: %v, %v", parked, err)
	}
}

func TestPartlyRepeatedAppendIsAnIdempotencyMismatch(t *testing.T) {
	f := newFakeServer()
	addr, _ := f.serve(t, "127.0.0.1:0")
	s := openFake(t, f, addr)
	ctx := context.Background()
	a := eventstore.EventData{ID: uuid.New(), Type: "t.A.v1", Data: []byte(`{}`)}
	b := eventstore.EventData{ID: uuid.New(), Type: "t.B.v1", Data: []byte(`{}`)}
	c := eventstore.EventData{ID: uuid.New(), Type: "t.C.v1", Data: []byte(`{}`)}
	first, err := s.Append(ctx, "idem", eventstore.NoStream, a, b)
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.Append(ctx, "idem", eventstore.NoStream, a, b)
	if err != nil || again != first {
		t.Fatalf("repeat: %+v, %v; first %+v", again, err, first)
	}
	_, err = s.Append(ctx, "idem", eventstore.NoStream, a, c)
	if !errors.Is(err, eventstore.ErrIdempotencyMismatch) {
		t.Fatalf("partly repeated append: %v, want ErrIdempotencyMismatch", err)
	}
	var wev *eventstore.WrongExpectedVersionError
	if errors.As(err, &wev) {
		t.Fatal("a mismatch is also reported as a plain conflict")
	}
	_, err = s.Append(ctx, "idem", eventstore.NoStream, c)
	if !errors.As(err, &wev) || !wev.ActualExists || wev.Actual != 1 {
		t.Fatalf("plain conflict: %v", err)
	}
}

func TestCheckpointsArePositionsASubscriptionCanResumeFrom(t *testing.T) {
	f := newFakeServer()
	addr, _ := f.serve(t, "127.0.0.1:0")
	s := openFake(t, f, addr)
	appendN(t, s, "cp-a", 0, 100)
	sub, err := s.Subscribe(context.Background(), eventstore.SubscribeOptions{
		Filter:             eventstore.Filter{EventTypes: []string{"never.Written.v1"}},
		CheckpointInterval: 32,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	var last eventstore.Position
	checkpoints := 0
	deadline := time.After(10 * time.Second)
	for caughtUp := false; !caughtUp; {
		select {
		case m := <-sub.Messages():
			switch {
			case m.Event != nil:
				t.Fatalf("sparse filter delivered %s", m.Event.Type)
			case m.Checkpoint != 0:
				if m.Checkpoint <= last {
					t.Fatalf("checkpoint %d after %d", m.Checkpoint, last)
				}
				if _, exact := toLog(m.Checkpoint); !exact {
					t.Fatalf("checkpoint %d is not an event position", m.Checkpoint)
				}
				last = m.Checkpoint
				checkpoints++
			case m.CaughtUp:
				caughtUp = true
			}
		case <-deadline:
			t.Fatal("no caught-up")
		}
	}
	if checkpoints < 3 {
		t.Fatalf("%d checkpoints over 100 unmatched events with an interval of 32", checkpoints)
	}
	// Resuming from the last checkpoint delivers what comes after it.
	appendN(t, s, "cp-b", 0, 1)
	resumed, err := s.Subscribe(context.Background(), eventstore.SubscribeOptions{After: last, Filter: eventstore.Filter{StreamPrefixes: []string{"cp-"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer resumed.Close()
	expectRevisions(t, resumed, "cp-b", 1)
}

func TestCaughtUpFromServersThatDoNotSendIt(t *testing.T) {
	f := newFakeServer()
	f.caughtUpOff = true
	addr, _ := f.serve(t, "127.0.0.1:0")
	s := openFake(t, f, addr)
	appendN(t, s, "old-1", 0, 3)
	f.writeSystemEvent() // the head is the server's own event
	sub, err := s.Subscribe(context.Background(), eventstore.SubscribeOptions{Filter: eventstore.Filter{StreamPrefixes: []string{"old-"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	expectRevisions(t, sub, "old-1", 3)
	deadline := time.After(10 * time.Second)
	for {
		select {
		case m := <-sub.Messages():
			if m.CaughtUp {
				return
			}
		case <-deadline:
			t.Fatal("no caught-up from a server that does not send it")
		}
	}
}

func TestSubscribeAfterEnd(t *testing.T) {
	f := newFakeServer()
	addr, _ := f.serve(t, "127.0.0.1:0")
	s := openFake(t, f, addr)
	appendN(t, s, "end-1", 0, 3)
	sub, err := s.Subscribe(context.Background(), eventstore.SubscribeOptions{After: eventstore.End, Filter: eventstore.Filter{StreamPrefixes: []string{"end-"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	select {
	case m := <-sub.Messages():
		if !m.CaughtUp {
			t.Fatalf("first message %+v, want caught-up", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no caught-up")
	}
	appendN(t, s, "end-1", 3, 1)
	select {
	case m := <-sub.Messages():
		if m.Event == nil || m.Event.Revision != 3 {
			t.Fatalf("got %+v, want revision 3", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no live event")
	}
}
