package aggregate_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/errs"
	"carecoord/pkg/eventstore"
	"carecoord/pkg/eventstore/embedded"
)

type opened struct {
	Name string `json:"name"`
}

func (opened) EventType() string { return "test.CounterOpened.v1" }

type incremented struct {
	By int `json:"by"`
}

func (incremented) EventType() string { return "test.CounterIncremented.v1" }

type counter struct {
	id    string
	open  bool
	value int
}

func (c *counter) Apply(e aggregate.Event) {
	switch e := e.(type) {
	case opened:
		c.open = true
	case incremented:
		c.value += e.By
	}
}

func (c *counter) Increment(by int) ([]aggregate.Event, error) {
	if !c.open {
		return nil, errs.IllegalStep("increment the counter", "not open", "not-open")
	}
	if by <= 0 {
		return nil, errs.Invalid("by", "must be positive", "by-not-positive")
	}
	return []aggregate.Event{incremented{By: by}}, nil
}

var types = aggregate.NewTypes(opened{}, incremented{})

func newRepo(t *testing.T) (*aggregate.Repository[*counter], eventstore.Store) {
	s, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return aggregate.NewRepository(s, types, "counter", func(id string) *counter { return &counter{id: id} }), s
}

func open(t *testing.T, r *aggregate.Repository[*counter], id string) {
	t.Helper()
	_, err := r.Execute(context.Background(), id, aggregate.Command{Actor: "u1"}, func(c *counter, exists bool) ([]aggregate.Event, error) {
		if exists {
			return nil, errs.Conflict("exists", "exists")
		}
		return []aggregate.Event{opened{Name: "x"}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestExecute_appends_decided_events_and_returns_the_new_state(t *testing.T) {
	r, s := newRepo(t)
	open(t, r, "a")
	res, err := r.Execute(context.Background(), "a", aggregate.Command{Actor: "u1", Locality: "leek"}, func(c *counter, _ bool) ([]aggregate.Event, error) { return c.Increment(3) })
	if err != nil {
		t.Fatal(err)
	}
	if res.State.value != 3 || res.Version != 1 || res.Position == 0 || len(res.Events) != 1 {
		t.Fatalf("result %+v", res)
	}
	evs, _ := s.ReadStream(context.Background(), "counter-a", 0, eventstore.Forwards, 0)
	if len(evs) != 2 || evs[1].Type != "test.CounterIncremented.v1" || evs[1].Metadata.Actor != "u1" || evs[1].Metadata.Locality != "leek" || evs[1].Metadata.OccurredAt.IsZero() {
		t.Fatalf("stored %+v", evs)
	}
}

func TestExecute_rejected_command_writes_nothing(t *testing.T) {
	r, s := newRepo(t)
	_, err := r.Execute(context.Background(), "b", aggregate.Command{}, func(c *counter, _ bool) ([]aggregate.Event, error) { return c.Increment(1) })
	if e, ok := errs.As(err); !ok || e.Kind != errs.KindInvalidInput || e.Msg != "cannot increment the counter: it is not open" {
		t.Fatalf("got %v", err)
	}
	if _, err := s.ReadStream(context.Background(), "counter-b", 0, eventstore.Forwards, 0); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatalf("stream exists after a rejected command: %v", err)
	}
}

func TestExecute_repeated_command_id_returns_first_result_and_writes_nothing(t *testing.T) {
	r, s := newRepo(t)
	open(t, r, "c")
	inc := func(c *counter, _ bool) ([]aggregate.Event, error) { return c.Increment(5) }
	first, err := r.Execute(context.Background(), "c", aggregate.Command{ID: "cmd-1"}, inc)
	if err != nil {
		t.Fatal(err)
	}
	again, err := r.Execute(context.Background(), "c", aggregate.Command{ID: "cmd-1"}, inc)
	if err != nil || !again.Repeated || again.State.value != 5 || again.Version != first.Version {
		t.Fatalf("repeat: %+v %v", again, err)
	}
	// A repeat says where the first run's events are, for a caller to wait
	// for its read models to show them.
	if again.Position != first.Position || again.Position == 0 {
		t.Fatalf("repeat at position %d, the first run at %d", again.Position, first.Position)
	}
	evs, _ := s.ReadStream(context.Background(), "counter-c", 0, eventstore.Forwards, 0)
	if len(evs) != 2 {
		t.Fatalf("%d events after a repeat, want 2", len(evs))
	}
}

func TestExecute_concurrent_commands_one_wins_the_other_conflicts(t *testing.T) {
	r, _ := newRepo(t)
	open(t, r, "d")
	// Both decide on the same version; the loser must get CONFLICT.
	var wg sync.WaitGroup
	results := make(chan error, 20)
	start := make(chan struct{})
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := r.Execute(context.Background(), "d", aggregate.Command{}, func(c *counter, _ bool) ([]aggregate.Event, error) {
				if c.value > 0 {
					return nil, errs.IllegalStep("increment", "already incremented", "done")
				}
				return c.Increment(1)
			})
			results <- err
		}()
	}
	close(start)
	wg.Wait()
	close(results)
	wins, conflicts := 0, 0
	for err := range results {
		switch {
		case err == nil:
			wins++
		case errs.Is(err, errs.KindConflict), errs.Is(err, errs.KindInvalidInput):
			conflicts++
		default:
			t.Fatalf("unexpected %v", err)
		}
	}
	c, _, _ := r.Load(context.Background(), "d")
	if wins != 1 || c.value != 1 {
		t.Fatalf("%d winners, value %d; want exactly one", wins, c.value)
	}
}

// lagging is a store that has not yet applied a write made elsewhere (a
// raft follower behind its leader): LinearizableBarrier applies it.
type lagging struct {
	eventstore.Store
	pending  func()
	barriers int
}

func (l *lagging) LinearizableBarrier(context.Context) error {
	l.barriers++
	if l.pending != nil {
		l.pending()
		l.pending = nil
	}
	return nil
}

func TestExecute_a_refusal_is_decided_again_once_a_lagging_store_has_caught_up(t *testing.T) {
	s, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	lag := &lagging{Store: s}
	r := aggregate.NewRepository(lag, types, "counter", func(id string) *counter { return &counter{id: id} })
	behind := aggregate.NewRepository(s, types, "counter", func(id string) *counter { return &counter{id: id} })
	// The counter was opened through another node; this one has not seen
	// it yet.
	lag.pending = func() { open(t, behind, "d") }
	res, err := r.Execute(context.Background(), "d", aggregate.Command{}, func(c *counter, _ bool) ([]aggregate.Event, error) { return c.Increment(2) })
	if err != nil || res.State.value != 2 || lag.barriers != 1 {
		t.Fatalf("got %+v, %v after %d barriers; want the step taken after one", res, err, lag.barriers)
	}
	// A refusal that stands after catching up is returned.
	_, err = r.Execute(context.Background(), "d", aggregate.Command{}, func(c *counter, _ bool) ([]aggregate.Event, error) { return c.Increment(-1) })
	if e, ok := errs.As(err); !ok || e.Kind != errs.KindInvalidInput || lag.barriers != 2 {
		t.Fatalf("got %v after %d barriers", err, lag.barriers)
	}
}
