package eventbus_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/components/cqrs"
	"github.com/google/uuid"
	"go.uber.org/zap/zaptest"

	"carecoord/pkg/checkpoint"
	"carecoord/pkg/eventbus"
	"carecoord/pkg/eventstore"
	"carecoord/pkg/eventstore/embedded"
)

type bedClosed struct {
	Bed string `json:"bed"`
	N   int    `json:"n"`
}

func (bedClosed) EventType() string { return "test.BedClosed.v1" }

type bedReopened struct {
	Bed string `json:"bed"`
}

func (bedReopened) EventType() string { return "test.BedReopened.v1" }

func newStore(t *testing.T) *embedded.Store {
	t.Helper()
	s, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func appendEvent(t *testing.T, s eventstore.Store, stream string, e eventbus.Event, md eventstore.Metadata) eventstore.RecordedEvent {
	t.Helper()
	data, _ := json.Marshal(e)
	res, err := s.Append(context.Background(), stream, eventstore.Any, eventstore.EventData{ID: uuid.New(), Type: e.EventType(), Data: data, Metadata: md})
	if err != nil {
		t.Fatal(err)
	}
	evs, err := s.ReadAll(context.Background(), res.Position, eventstore.Forwards, 1)
	if err != nil {
		t.Fatal(err)
	}
	return evs[0]
}

// startBus runs a bus with the given consumer until the test ends (or stop is
// called) and waits for it to be running.
func startBus(t *testing.T, s eventstore.Store, cps checkpoint.Store, consumer string, handlers ...cqrs.GroupEventHandler) (stop func()) {
	t.Helper()
	bus, err := eventbus.New(eventbus.Config{Store: s, Checkpoints: cps, Logger: zaptest.NewLogger(t), Retries: 3, RetryInterval: 5 * time.Millisecond, FlushInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := bus.AddHandlers(consumer, handlers...); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- bus.Run(context.Background()) }()
	select {
	case <-bus.Running():
	case err := <-done:
		t.Fatalf("bus stopped: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("bus did not start")
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			if err := bus.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
			<-done
		})
	}
	t.Cleanup(stop)
	return stop
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestBus_transient_failure_is_retried_until_it_succeeds(t *testing.T) {
	s := newStore(t)
	var calls atomic.Int32
	var handled atomic.Bool
	startBus(t, s, checkpoint.NewMemory(), "test.Flaky", cqrs.NewGroupEventHandler(func(ctx context.Context, e *bedClosed) error {
		if calls.Add(1) < 3 {
			return errors.New("database briefly unavailable")
		}
		handled.Store(true)
		return nil
	}))
	appendEvent(t, s, "bed-1", bedClosed{Bed: "1"}, eventstore.Metadata{})
	eventually(t, "the third attempt", handled.Load)
	if parked, err := eventbus.Parked(context.Background(), s, "test.Flaky"); err != nil || len(parked) != 0 {
		t.Fatalf("a retried event was parked: %v %v", parked, err)
	}
	if got := calls.Load(); got != 3 {
		t.Fatalf("handler called %d times, want 3", got)
	}
}

func TestBus_permanent_failure_parks_the_event_and_the_rest_flow(t *testing.T) {
	s := newStore(t)
	var mu sync.Mutex
	var handled []int
	var replayed []eventbus.Delivery
	var fixed atomic.Bool
	handler := cqrs.NewGroupEventHandler(func(ctx context.Context, e *bedClosed) error {
		if e.N == 2 && !fixed.Load() {
			return errors.New("bed not in reference data")
		}
		if e.N == 4 && !fixed.Load() {
			panic("a bug")
		}
		mu.Lock()
		defer mu.Unlock()
		handled = append(handled, e.N)
		if d, _ := eventbus.DeliveryFrom(ctx); e.N == 2 || e.N == 4 {
			replayed = append(replayed, d)
		}
		return nil
	})
	startBus(t, s, checkpoint.NewMemory(), "test.Picky", handler)
	var originals []eventstore.RecordedEvent
	for i := 1; i <= 5; i++ {
		originals = append(originals, appendEvent(t, s, "bed-1", bedClosed{Bed: "1", N: i}, eventstore.Metadata{CorrelationID: fmt.Sprint("c", i)}))
	}
	eventually(t, "events 1, 3 and 5", func() bool { mu.Lock(); defer mu.Unlock(); return len(handled) == 3 })
	mu.Lock()
	if fmt.Sprint(handled) != "[1 3 5]" {
		t.Fatalf("handled %v, want [1 3 5]", handled)
	}
	mu.Unlock()

	var parked []eventbus.ParkedEvent
	eventually(t, "two parked events", func() bool {
		parked, _ = eventbus.Parked(context.Background(), s, "test.Picky")
		return len(parked) == 2
	})
	if parked[0].Handler != "test.Picky" || parked[0].Reason == "" || parked[0].EventID != originals[1].ID.String() || parked[0].EventType != "test.BedClosed.v1" {
		t.Fatalf("parked event says %+v", parked[0])
	}
	if parked[1].EventID != originals[3].ID.String() {
		t.Fatalf("second parked event is %s, want the panicking one", parked[1].EventID)
	}

	fixed.Store(true)
	n, err := eventbus.Replay(context.Background(), s, "test.Picky", 0)
	if err != nil || n != 2 {
		t.Fatalf("replay: %d, %v", n, err)
	}
	// Replaying again changes nothing: each parked event is replayed once.
	if _, err := eventbus.Replay(context.Background(), s, "test.Picky", 0); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the replayed events", func() bool { mu.Lock(); defer mu.Unlock(); return len(handled) == 5 })
	mu.Lock()
	defer mu.Unlock()
	if replayed[0].EventID != originals[1].ID.String() || replayed[0].Stream != "bed-1" || replayed[0].Revision != originals[1].Revision || replayed[0].CorrelationID != "c2" {
		t.Fatalf("replayed delivery %+v does not carry the original's facts", replayed[0])
	}
	time.Sleep(50 * time.Millisecond)
	if len(handled) != 5 {
		t.Fatalf("handled %v after a double replay, want each event once", handled)
	}
}

func TestBus_resumes_from_its_checkpoint_after_a_restart(t *testing.T) {
	s := newStore(t)
	cps, err := checkpoint.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer cps.Close()
	var seen []int
	var mu sync.Mutex
	h := func() cqrs.GroupEventHandler {
		return cqrs.NewGroupEventHandler(func(ctx context.Context, e *bedClosed) error {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, e.N)
			return nil
		})
	}
	stop := startBus(t, s, cps, "test.Counter", h())
	for i := 0; i < 10; i++ {
		appendEvent(t, s, "bed-2", bedClosed{N: i}, eventstore.Metadata{})
	}
	eventually(t, "ten events", func() bool { mu.Lock(); defer mu.Unlock(); return len(seen) == 10 })
	stop()
	for i := 10; i < 15; i++ {
		appendEvent(t, s, "bed-2", bedClosed{N: i}, eventstore.Metadata{})
	}
	mu.Lock()
	seen = nil
	mu.Unlock()
	startBus(t, s, cps, "test.Counter", h())
	eventually(t, "five new events", func() bool { mu.Lock(); defer mu.Unlock(); return len(seen) == 5 })
	time.Sleep(50 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(seen) != "[10 11 12 13 14]" {
		t.Fatalf("after restart the consumer saw %v, want only [10 11 12 13 14]", seen)
	}
}

// A handler that appends a derived event with a deterministic ID has its
// effect once, however often its event is delivered.
func TestBus_derived_events_are_written_once_across_redelivery(t *testing.T) {
	s := newStore(t)
	derive := cqrs.NewGroupEventHandler(func(ctx context.Context, e *bedClosed) error {
		d, _ := eventbus.DeliveryFrom(ctx)
		data, _ := json.Marshal(bedReopened{Bed: e.Bed})
		_, err := s.Append(ctx, "derived-"+e.Bed, eventstore.Any, eventstore.EventData{
			ID:       eventstore.DeterministicID("test.ReopenOnClose", d.EventID),
			Type:     bedReopened{}.EventType(),
			Data:     data,
			Metadata: eventbus.DerivedMetadata(ctx, eventstore.Metadata{Actor: "system"}),
		})
		return err
	})
	var sources []eventstore.RecordedEvent
	for i := 0; i < 20; i++ {
		sources = append(sources, appendEvent(t, s, "bed-3", bedClosed{Bed: fmt.Sprint(i % 4), N: i}, eventstore.Metadata{CorrelationID: fmt.Sprint("corr-", i)}))
	}
	countDerived := func() int {
		n := 0
		for b := 0; b < 4; b++ {
			evs, err := s.ReadStream(context.Background(), fmt.Sprint("derived-", b), 0, eventstore.Forwards, 0)
			if err == nil {
				n += len(evs)
			}
		}
		return n
	}
	// First run, then a run that has lost its checkpoint and sees all again.
	for run := 0; run < 2; run++ {
		stop := startBus(t, s, checkpoint.NewMemory(), "test.ReopenOnClose", derive)
		eventually(t, "all events handled", func() bool { return countDerived() >= 20 })
		time.Sleep(50 * time.Millisecond)
		stop()
		if n := countDerived(); n != 20 {
			t.Fatalf("run %d: %d derived events, want 20", run, n)
		}
	}
	evs, _ := s.ReadStream(context.Background(), "derived-0", 0, eventstore.Forwards, 1)
	if evs[0].Metadata.CorrelationID != "corr-0" || evs[0].Metadata.CausationID != sources[0].ID.String() {
		t.Fatalf("derived event metadata %+v: want correlation corr-0, causation %s", evs[0].Metadata, sources[0].ID)
	}
}

func TestBus_reports_caught_up_once_consumers_have_handled_the_log(t *testing.T) {
	s := newStore(t)
	for i := 0; i < 50; i++ {
		appendEvent(t, s, "bed-4", bedClosed{N: i}, eventstore.Metadata{})
	}
	release := make(chan struct{})
	bus, err := eventbus.New(eventbus.Config{Store: s, Checkpoints: checkpoint.NewMemory(), Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := bus.AddHandlers("test.Slow", cqrs.NewGroupEventHandler(func(ctx context.Context, e *bedClosed) error {
		<-release
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	go bus.Run(context.Background())
	defer bus.Close()
	<-bus.Running()
	if err := bus.CaughtUp(); err == nil {
		t.Fatal("caught up while the handler is blocked on the first event")
	}
	close(release)
	eventually(t, "caught up", func() bool { return bus.CaughtUp() == nil })
}

func TestBus_projection_is_rebuilt_from_the_start_at_every_start(t *testing.T) {
	s := newStore(t)
	cps, err := checkpoint.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer cps.Close()
	for i := 0; i < 3; i++ {
		appendEvent(t, s, "bed-5", bedClosed{N: i}, eventstore.Metadata{})
	}
	for run := 0; run < 2; run++ {
		var n atomic.Int32
		bus, err := eventbus.New(eventbus.Config{Store: s, Checkpoints: cps, Logger: zaptest.NewLogger(t)})
		if err != nil {
			t.Fatal(err)
		}
		if err := bus.AddProjection("test.BedCount", cqrs.NewGroupEventHandler(func(ctx context.Context, e *bedClosed) error {
			n.Add(1)
			return nil
		})); err != nil {
			t.Fatal(err)
		}
		go bus.Run(context.Background())
		<-bus.Running()
		eventually(t, "three events", func() bool { return n.Load() == 3 })
		bus.Close()
	}
	if p, _ := cps.Load(context.Background(), "test.BedCount"); p != 0 {
		t.Fatalf("a projection's position reached the durable store: %d", p)
	}
}

func TestBus_HandledUpTo_counts_events_a_consumer_filters_out(t *testing.T) {
	s := newStore(t)
	bus, err := eventbus.New(eventbus.Config{Store: s, Checkpoints: checkpoint.NewMemory(), Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int32
	if err := bus.AddHandlers("test.OnlyClosed", cqrs.NewGroupEventHandler(func(ctx context.Context, e *bedClosed) error {
		n.Add(1)
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	go bus.Run(context.Background())
	defer bus.Close()
	<-bus.Running()
	eventually(t, "caught up", func() bool { return bus.CaughtUp() == nil })
	appendEvent(t, s, "bed-6", bedClosed{N: 1}, eventstore.Metadata{})
	last := appendEvent(t, s, "bed-6", bedReopened{Bed: "6"}, eventstore.Metadata{}) // not this consumer's type
	eventually(t, "the consumer to pass the event it does not handle", func() bool { return bus.HandledUpTo(last.Position) })
	if n.Load() != 1 {
		t.Fatalf("handled %d events, want 1", n.Load())
	}
	if bus.HandledUpTo(last.Position + 1) {
		t.Fatal("handled past the head of the log")
	}
}

func TestBus_Observe_reports_each_handled_message_with_its_lag(t *testing.T) {
	s := newStore(t)
	var mu sync.Mutex
	var seen []eventbus.Handled
	bus, err := eventbus.New(eventbus.Config{Store: s, Checkpoints: checkpoint.NewMemory(), Observe: func(h eventbus.Handled) {
		mu.Lock()
		seen = append(seen, h)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := bus.AddProjection("test.Lag", cqrs.NewGroupEventHandler(func(ctx context.Context, e *bedClosed) error { return nil })); err != nil {
		t.Fatal(err)
	}
	go bus.Run(context.Background())
	defer bus.Close()
	<-bus.Running()
	ev := appendEvent(t, s, "bed-7", bedClosed{N: 1}, eventstore.Metadata{})
	eventually(t, "one observation", func() bool { mu.Lock(); defer mu.Unlock(); return len(seen) == 1 })
	h := seen[0]
	if h.Consumer != "test.Lag" || h.EventType != "test.BedClosed.v1" || !h.RecordedAt.Equal(ev.RecordedAt) || h.HandledAt.Before(h.RecordedAt) || h.Err != nil {
		t.Fatalf("observed %+v (event recorded at %v)", h, ev.RecordedAt)
	}
}

func TestBus_stream_projection_sees_the_system_streams_it_names(t *testing.T) {
	s := newStore(t)
	appendEvent(t, s, "$beds-log", bedClosed{N: 1}, eventstore.Metadata{})
	appendEvent(t, s, "bed-7", bedClosed{N: 2}, eventstore.Metadata{}) // not under the prefix
	appendEvent(t, s, "$beds-log", bedClosed{N: 3}, eventstore.Metadata{})
	bus, err := eventbus.New(eventbus.Config{Store: s, Checkpoints: checkpoint.NewMemory(), Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []int
	if err := bus.AddStreamProjection("test.SystemLog", []string{"$beds-"}, cqrs.NewGroupEventHandler(func(ctx context.Context, e *bedClosed) error {
		mu.Lock()
		got = append(got, e.N)
		mu.Unlock()
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	if err := bus.AddStreamProjection("test.NoPrefix", nil); err == nil {
		t.Fatal("a stream projection without a prefix was accepted")
	}
	go bus.Run(context.Background())
	defer bus.Close()
	<-bus.Running()
	eventually(t, "caught up", func() bool { return bus.CaughtUp() == nil })
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[0] != 1 || got[1] != 3 {
		t.Fatalf("handled %v, want [1 3]", got)
	}
}
