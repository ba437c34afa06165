// Package service is the one place that wires the caseload service: the
// read model and reactions on the bus, the application over the store, and
// the GraphQL subgraph over the application. The carecoord binary and
// cmd/caseload call New; tests call NewForTest.
//
// It imports every package of the service and the pkg packages it wires.
package service

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"carecoord/pkg/checkpoint"
	"carecoord/pkg/eventbus"
	"carecoord/pkg/eventstore"
	"carecoord/pkg/eventstore/embedded"
	"carecoord/pkg/locality"
	"carecoord/services/caseload/app"
	cgraphql "carecoord/services/caseload/graphql"
	"carecoord/services/caseload/reactions"
	"carecoord/services/caseload/readmodel"
)

// Deps is what the service needs from its host.
type Deps struct {
	Store eventstore.Store
	// Bus: New registers the projection and reactions on it; the caller
	// runs it afterwards.
	Bus        *eventbus.Bus
	Localities *locality.Registry
	Logger     *zap.Logger
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Service is the wired caseload service.
type Service struct {
	App      *app.Application
	Subgraph cgraphql.Subgraph
	// ReadModel is exposed for readiness checks and tests.
	ReadModel *readmodel.Caseload
	// Store is the store the service writes to (tests append other
	// services' events to it).
	Store eventstore.Store

	bus *eventbus.Bus
}

// CaughtUp is nil once the bus the service's handlers run on has handled
// the log as it was when they started (readiness), else an error naming the
// consumers still catching up.
func (s *Service) CaughtUp() error { return s.bus.CaughtUp() }

// New wires the service and registers its handlers on d.Bus.
func New(d Deps) (*Service, error) {
	if d.Store == nil || d.Bus == nil {
		return nil, errors.New("caseload: a store and a bus are required")
	}
	if d.Localities == nil {
		d.Localities = locality.Default()
	}
	if d.Logger == nil {
		d.Logger = zap.NewNop()
	}
	rm := readmodel.New(d.Localities)
	if err := d.Bus.AddProjection(readmodel.Name, rm.Handlers()...); err != nil {
		return nil, err
	}
	a := app.New(d.Store, rm, d.Localities, d.Now)
	if err := reactions.Register(d.Bus, a, rm, d.Logger); err != nil {
		return nil, err
	}
	sg, err := cgraphql.New(a, d.Localities)
	if err != nil {
		return nil, err
	}
	return &Service{App: a, Subgraph: sg, ReadModel: rm, Store: d.Store, bus: d.Bus}, nil
}

// TestOption adjusts NewForTest.
type TestOption func(*Deps)

// WithClock makes the service read time from now.
func WithClock(now func() time.Time) TestOption { return func(d *Deps) { d.Now = now } }

// NewForTest opens an embedded store in t.TempDir(), a bus with in-memory
// checkpoints, calls New, runs the bus (waiting until it runs), and closes
// everything when the test ends.
func NewForTest(t testing.TB, opts ...TestOption) *Service {
	t.Helper()
	store, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return StartForTest(t, store, checkpoint.NewMemory(), opts...)
}

// StartForTest runs the service over a given store and checkpoints: a
// second instance over the same log, for tests of redelivery and restart.
func StartForTest(t testing.TB, store eventstore.Store, cps checkpoint.Store, opts ...TestOption) *Service {
	t.Helper()
	// Warnings and errors only: a line per handled event would bury what
	// matters when a test fails.
	logger := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	bus, err := eventbus.New(eventbus.Config{Store: store, Checkpoints: cps, Logger: logger,
		Retries: 3, RetryInterval: 10 * time.Millisecond, FlushInterval: 10 * time.Millisecond})
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
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- bus.Run(ctx) }()
	select {
	case <-bus.Running():
	case err := <-done:
		cancel()
		t.Fatalf("caseload: bus stopped before it ran: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("caseload: bus did not start")
	}
	t.Cleanup(func() {
		if err := bus.Close(); err != nil {
			t.Errorf("caseload: close bus: %v", err)
		}
		cancel()
		<-done
	})
	return svc
}
