// Package service is the one place that wires the referrals service: the
// repository over the event store, the read model and the reactions on the
// bus, the application and its GraphQL subgraph. New is what the carecoord
// binary and cmd/referrals call; NewForTest runs the whole service on a real
// embedded store for component tests.
//
// It imports every package of the service, pkg/aggregate, pkg/eventbus,
// pkg/eventstore (and its embedded backend, for tests), pkg/checkpoint and
// pkg/locality.
package service

import (
	"context"
	"errors"
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
	"carecoord/services/referrals/app"
	"carecoord/services/referrals/domain"
	refgraphql "carecoord/services/referrals/graphql"
	"carecoord/services/referrals/reactions"
	"carecoord/services/referrals/readmodel"
)

// Deps is what the service needs from its host.
type Deps struct {
	Store eventstore.Store
	// Bus: New registers the projection and the reactions on it; the
	// caller runs it afterwards.
	Bus        *eventbus.Bus
	Localities *locality.Registry
	Logger     *zap.Logger
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Service is the running referrals service.
type Service struct {
	App      *app.Application
	Subgraph refgraphql.Subgraph
}

// Category is the stream category of referrals: "referral-<id>".
const Category = "referral"

// New wires the service and registers its handlers on the bus.
func New(d Deps) (*Service, error) {
	if d.Store == nil || d.Bus == nil || d.Localities == nil {
		return nil, errors.New("referrals: a store, a bus and the locality registry are required")
	}
	if d.Logger == nil {
		d.Logger = zap.NewNop()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	log := d.Logger.Named("referrals")
	repo := aggregate.NewRepository(d.Store, domain.Types, Category, domain.NewState)
	rm := readmodel.New()
	if err := d.Bus.AddProjection(readmodel.ConsumerName, rm.Handlers()...); err != nil {
		return nil, err
	}
	application := app.New(repo, rm, d.Localities, d.Now)
	if err := reactions.New(application.Commands.ReceiveReferral, d.Localities, log, d.Now).Register(d.Bus); err != nil {
		return nil, err
	}
	return &Service{App: application, Subgraph: refgraphql.New(application, d.Localities)}, nil
}

// TestOptions adjust NewForTestWith.
type TestOptions struct {
	// Store to run on (default: a new embedded store in t.TempDir()). The
	// caller closes a store it gives.
	Store eventstore.Store
	// Now is the service's clock (default time.Now).
	Now func() time.Time
	// Localities (default locality.Default()).
	Localities *locality.Registry
}

// NewForTest runs the service on a new embedded store in t.TempDir() with a
// running bus (in-memory checkpoints) and closes everything when the test
// ends.
func NewForTest(t testing.TB) *Service { return NewForTestWith(t, TestOptions{}) }

// NewForTestWith is NewForTest with options: a store shared between
// services (to test redelivery with fresh checkpoints) or a controlled clock.
func NewForTestWith(t testing.TB, o TestOptions) *Service {
	t.Helper()
	if o.Store == nil {
		s, err := embedded.Open(t.TempDir(), embedded.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		o.Store = s
	}
	if o.Localities == nil {
		o.Localities = locality.Default()
	}
	log := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	bus, err := eventbus.New(eventbus.Config{
		Store: o.Store, Checkpoints: checkpoint.NewMemory(), Logger: log,
		Retries: 3, RetryInterval: 10 * time.Millisecond, FlushInterval: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(Deps{Store: o.Store, Bus: bus, Localities: o.Localities, Logger: log, Now: o.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- bus.Run(ctx) }()
	// Registered after the store's cleanup, so it runs first: stop taking
	// events before the store closes.
	t.Cleanup(func() {
		cancel()
		_ = bus.Close()
		<-done
	})
	select {
	case <-bus.Running():
	case err := <-done:
		t.Fatalf("bus stopped: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("bus did not start")
	}
	return svc
}
