// Package service is the one place that wires the falls service: the
// repositories over the event store, the dispatch board projection and the
// reactions on the bus, the application and its subgraph. New is what the
// carecoord binary calls; NewForTest runs the service on a real embedded
// store for component tests.
//
// It imports every package of the falls service, pkg/aggregate,
// pkg/eventbus, pkg/eventstore (and its embedded backend, for tests),
// pkg/checkpoint, pkg/locality and zap.
package service

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/checkpoint"
	"carecoord/pkg/eventbus"
	"carecoord/pkg/eventstore"
	"carecoord/pkg/eventstore/embedded"
	"carecoord/pkg/locality"
	"carecoord/services/falls/app"
	"carecoord/services/falls/domain"
	fallsgraphql "carecoord/services/falls/graphql"
	"carecoord/services/falls/reactions"
	"carecoord/services/falls/readmodel"
	"carecoord/services/falls/units"
)

// BoardConsumer is the dispatch board's consumer name on the bus.
const BoardConsumer = "falls.Board"

// Deps is what the service is built from.
type Deps struct {
	Store eventstore.Store
	// Bus: New registers the board projection and the reactions on it; the
	// caller runs it afterwards.
	Bus        *eventbus.Bus
	Localities *locality.Registry
	Logger     *zap.Logger
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Units is the responder reference data (nil: the built-in demo units).
	Units *units.Registry
}

// Service is the falls service, wired.
type Service struct {
	App      *app.Application
	Subgraph fallsgraphql.Subgraph
	// Units is the responder reference data in use.
	Units *units.Registry
	// Store is the event store the service runs on.
	Store eventstore.Store
}

// New wires the service and registers its handlers on the bus.
func New(d Deps) (*Service, error) {
	if d.Store == nil || d.Bus == nil {
		return nil, errors.New("falls: a store and a bus are required")
	}
	if d.Localities == nil {
		d.Localities = locality.Default()
	}
	if d.Logger == nil {
		d.Logger = zap.NewNop()
	}
	log := d.Logger.Named("falls")
	if d.Units == nil {
		d.Units = units.Default(d.Localities)
	}
	board := readmodel.NewBoard()
	if err := d.Bus.AddProjection(BoardConsumer, board.Handlers()...); err != nil {
		return nil, fmt.Errorf("falls: board: %w", err)
	}
	application := app.New(app.Config{
		Incidents:  aggregate.NewRepository(d.Store, domain.Types, domain.IncidentCategory, domain.NewIncident),
		Responders: aggregate.NewRepository(d.Store, domain.Types, domain.ResponderCategory, domain.NewResponder),
		Board:      board,
		Units:      d.Units,
		Localities: d.Localities,
		Logger:     log,
		Now:        d.Now,
	})
	if err := reactions.Register(d.Bus, application, log); err != nil {
		return nil, fmt.Errorf("falls: reactions: %w", err)
	}
	sub := fallsgraphql.New(application, d.Localities)
	// A schema that does not build must stop start-up, not the first request.
	if _, err := sub.Schema(); err != nil {
		return nil, err
	}
	return &Service{App: application, Subgraph: sub, Units: d.Units, Store: d.Store}, nil
}

// TestOption adjusts the Deps of NewForTest.
type TestOption func(*Deps)

// WithNow gives the service a controlled clock.
func WithNow(now func() time.Time) TestOption { return func(d *Deps) { d.Now = now } }

// NewForTest runs the service on an embedded store in t.TempDir() with a
// running bus (in-memory checkpoints), and closes both when the test ends.
func NewForTest(t testing.TB, opts ...TestOption) *Service {
	t.Helper()
	store, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	logger := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	bus, err := eventbus.New(eventbus.Config{Store: store, Checkpoints: checkpoint.NewMemory(), Logger: logger,
		Retries: 3, RetryInterval: 5 * time.Millisecond, FlushInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	d := Deps{Store: store, Bus: bus, Localities: locality.Default(), Logger: logger}
	for _, o := range opts {
		o(&d)
	}
	svc, err := New(d)
	if err != nil {
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
	t.Cleanup(func() {
		_ = bus.Close()
		<-done
	})
	return svc
}
