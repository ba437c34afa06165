package service

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"carecoord/pkg/checkpoint"
	"carecoord/pkg/eventbus"
	"carecoord/pkg/eventstore"
	"carecoord/pkg/eventstore/embedded"
	"carecoord/pkg/locality"

	"carecoord/services/beds/hospitals"
)

// TestOptions adjust NewForTestWith.
type TestOptions struct {
	// Store is the store to run on (nil: a new embedded store in
	// t.TempDir(), closed when the test ends).
	Store eventstore.Store
	// Hospitals replaces the built-in reference data.
	Hospitals *hospitals.Registry
	// Now is the service's clock.
	Now func() time.Time
	// ClaimGrace overrides app.DefaultClaimGrace.
	ClaimGrace time.Duration
}

// NewForTest runs the service on a new embedded store in t.TempDir() with a
// running bus (in-memory checkpoints), and closes everything when the test
// ends.
func NewForTest(t testing.TB) *Service { return NewForTestWith(t, TestOptions{}) }

// NewForTestWith is NewForTest with options. Its bus has fresh in-memory
// checkpoints, so on an existing store every consumer (the reaction too)
// starts from the beginning of the log: how a test shows that redelivery
// changes nothing. It returns once the consumers have caught up.
func NewForTestWith(t testing.TB, o TestOptions) *Service {
	t.Helper()
	store := o.Store
	if store == nil {
		s, err := embedded.Open(t.TempDir(), embedded.Options{})
		if err != nil {
			t.Fatalf("open store: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		store = s
	}
	logger := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	bus, err := eventbus.New(eventbus.Config{
		Store: store, Checkpoints: checkpoint.NewMemory(), Logger: logger,
		Retries: 3, RetryInterval: 5 * time.Millisecond, FlushInterval: 10 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("bus: %v", err)
	}
	svc, err := New(Deps{Store: store, Bus: bus, Localities: locality.Default(), Logger: logger, Now: o.Now, Hospitals: o.Hospitals, ClaimGrace: o.ClaimGrace})
	if err != nil {
		t.Fatalf("service: %v", err)
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
		if err := bus.Close(); err != nil {
			t.Errorf("close bus: %v", err)
		}
		<-done
	})
	deadline := time.Now().Add(20 * time.Second)
	for bus.CaughtUp() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("bus did not catch up: %v", bus.CaughtUp())
		}
		time.Sleep(2 * time.Millisecond)
	}
	return svc
}
