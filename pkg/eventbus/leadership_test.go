package eventbus_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/components/cqrs"
	"go.uber.org/zap/zaptest"

	"carecoord/pkg/checkpoint"
	"carecoord/pkg/eventbus"
	"carecoord/pkg/eventstore"
)

// leader is a switchable leadership signal, as the raft store gives.
type leader struct {
	mu       sync.Mutex
	is       bool
	watchers []chan bool
}

func (l *leader) watch(ctx context.Context) <-chan bool {
	ch := make(chan bool, 1)
	l.mu.Lock()
	ch <- l.is
	l.watchers = append(l.watchers, ch)
	l.mu.Unlock()
	return ch
}

func (l *leader) set(v bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.is = v
	for _, ch := range l.watchers {
		select {
		case <-ch:
		default:
		}
		ch <- v
	}
}

// Two nodes share one log and its checkpoints (checkpoint.InStore), as a
// raft cluster does: the process manager runs on the leader alone, and a
// handover loses no event and doubles no effect.
func TestBus_process_managers_run_on_the_leader_alone_and_hand_over(t *testing.T) {
	s := newStore(t)
	cps := checkpoint.NewInStore(s)
	var mu sync.Mutex
	handledBy := map[string]int{}
	derive := func(node string) cqrs.GroupEventHandler {
		return cqrs.NewGroupEventHandler(func(ctx context.Context, e *bedClosed) error {
			mu.Lock()
			handledBy[node]++
			mu.Unlock()
			d, _ := eventbus.DeliveryFrom(ctx)
			data, _ := json.Marshal(bedReopened{Bed: e.Bed})
			_, err := s.Append(ctx, fmt.Sprint("derived-", e.N), eventstore.NoStream, eventstore.EventData{
				ID: eventstore.DeterministicID("test.ReopenOnClose", d.EventID), Type: bedReopened{}.EventType(), Data: data,
			})
			return err
		})
	}
	nodes := map[string]*leader{"a": {is: true}, "b": {}}
	buses := map[string]*eventbus.Bus{}
	for name, l := range nodes {
		bus, err := eventbus.New(eventbus.Config{Store: s, Checkpoints: cps, Logger: zaptest.NewLogger(t),
			FlushInterval: 20 * time.Millisecond, Leadership: l.watch})
		if err != nil {
			t.Fatal(err)
		}
		if err := bus.AddHandlers("test.ReopenOnClose", derive(name)); err != nil {
			t.Fatal(err)
		}
		go bus.Run(context.Background())
		t.Cleanup(func() { bus.Close() })
		<-bus.Running()
		buses[name] = bus
	}
	derived := func() int {
		n := 0
		for i := range 60 {
			if evs, err := s.ReadStream(context.Background(), fmt.Sprint("derived-", i), 0, eventstore.Forwards, 0); err == nil {
				n += len(evs)
			}
		}
		return n
	}
	for i := range 20 {
		appendEvent(t, s, "bed-1", bedClosed{N: i}, eventstore.Metadata{})
	}
	eventually(t, "a handles the first 20", func() bool { return derived() == 20 })
	// The standing-by node is ready, and holds no subscription back.
	last, _ := s.ReadAll(context.Background(), eventstore.End, eventstore.Backwards, 1)
	if err := buses["b"].CaughtUp(); err != nil || !buses["b"].HandledUpTo(last[0].Position) {
		t.Fatalf("the node standing by: caught up %v, handled up to the head %v", err, buses["b"].HandledUpTo(last[0].Position))
	}

	// Leadership moves from a to b while events keep coming.
	nodes["a"].set(false)
	for i := 20; i < 40; i++ {
		appendEvent(t, s, "bed-1", bedClosed{N: i}, eventstore.Metadata{})
	}
	nodes["b"].set(true)
	for i := 40; i < 60; i++ {
		appendEvent(t, s, "bed-1", bedClosed{N: i}, eventstore.Metadata{})
	}
	eventually(t, "b handles the rest", func() bool { return derived() == 60 })
	time.Sleep(100 * time.Millisecond)
	if n := derived(); n != 60 {
		t.Fatalf("%d derived events, want 60: one per event", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if handledBy["a"] < 20 || handledBy["b"] < 40 {
		t.Fatalf("handled by %v: want a the first 20 and b the 40 after the handover", handledBy)
	}
}

// With checkpoints in the store, a consumer saves when it has handled
// something, not for events its filter leaves out: each save is such an
// event for every other consumer, and saving for them would never stop.
func TestBus_consumer_with_checkpoints_in_the_store_goes_quiet(t *testing.T) {
	s := newStore(t)
	cps := checkpoint.NewInStore(s)
	var handled atomicCount
	stop := startBus(t, s, cps, "test.Quiet", cqrs.NewGroupEventHandler(func(ctx context.Context, e *bedClosed) error {
		handled.add()
		return nil
	}))
	defer stop()
	appendEvent(t, s, "bed-1", bedClosed{N: 1}, eventstore.Metadata{})
	eventually(t, "handled", func() bool { return handled.get() == 1 })
	saves := func() int {
		evs, _ := s.ReadStream(context.Background(), checkpoint.StreamPrefix+"test.Quiet", 0, eventstore.Forwards, 0)
		return len(evs)
	}
	eventually(t, "the handled event checkpointed", func() bool { return saves() >= 1 })
	n := saves()
	// Other streams' events that the filter leaves out, as other
	// consumers' checkpoint saves are.
	for i := range 30 {
		appendEvent(t, s, fmt.Sprint("other-", i), bedReopened{Bed: "x"}, eventstore.Metadata{})
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // ten flush intervals
	if got := saves(); got != n {
		t.Fatalf("%d checkpoint saves after events the consumer never saw, want %d", got, n)
	}
}

type atomicCount struct {
	mu sync.Mutex
	n  int
}

func (c *atomicCount) add() { c.mu.Lock(); c.n++; c.mu.Unlock() }
func (c *atomicCount) get() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func TestBus_WaitHandled_returns_once_the_consumers_have_handled_a_position(t *testing.T) {
	s := newStore(t)
	release := make(chan struct{})
	bus, err := eventbus.New(eventbus.Config{Store: s, Checkpoints: checkpoint.NewMemory(), Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := bus.AddHandlers("test.Gate", cqrs.NewGroupEventHandler(func(ctx context.Context, e *bedClosed) error {
		<-release
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	go bus.Run(context.Background())
	defer bus.Close()
	<-bus.Running()
	ev := appendEvent(t, s, "bed-9", bedClosed{N: 1}, eventstore.Metadata{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := bus.WaitHandled(ctx, ev.Position); err == nil {
		t.Fatal("WaitHandled returned while the handler holds the event")
	}
	close(release)
	ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	if err := bus.WaitHandled(ctx2, ev.Position); err != nil {
		t.Fatalf("WaitHandled after the handler let go: %v", err)
	}
}
