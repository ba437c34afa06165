package checkpoint_test

import (
	"context"
	"testing"

	"carecoord/pkg/checkpoint"
	"carecoord/pkg/eventstore"
	"carecoord/pkg/eventstore/embedded"
)

func TestLocal_keeps_positions_across_reopen(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	l, err := checkpoint.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := l.Load(ctx, "caseload.OpenEpisodeOnReferralAccepted"); err != nil || p != eventstore.Start {
		t.Fatalf("new consumer at %d, %v; want Start", p, err)
	}
	for _, p := range []eventstore.Position{5, 9, 42} {
		if err := l.Save(ctx, "a", p); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Save(ctx, "b", 7); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l, err = checkpoint.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for name, want := range map[string]eventstore.Position{"a": 42, "b": 7, "c": 0} {
		if got, err := l.Load(ctx, name); err != nil || got != want {
			t.Fatalf("consumer %s at %d (%v), want %d", name, got, err, want)
		}
	}
}

func TestInStore_keeps_positions_in_the_event_store(t *testing.T) {
	s, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	cps := checkpoint.NewInStore(s)
	if p, err := cps.Load(ctx, "beds.RaiseBedRequestOnFallOutcome"); err != nil || p != eventstore.Start {
		t.Fatalf("new consumer at %d, %v; want Start", p, err)
	}
	for _, p := range []eventstore.Position{5, 9, 42} {
		if err := cps.Save(ctx, "a", p); err != nil {
			t.Fatal(err)
		}
	}
	// Another node reading the same (replicated) store sees the last save.
	other := checkpoint.NewInStore(s)
	if got, err := other.Load(ctx, "a"); err != nil || got != 42 {
		t.Fatalf("consumer a at %d (%v), want 42", got, err)
	}
	// The checkpoints are system streams: a plain subscription never sees them.
	evs, _ := s.ReadAll(ctx, eventstore.Start, eventstore.Forwards, 10)
	if len(evs) != 3 || evs[0].Stream != checkpoint.StreamPrefix+"a" || (eventstore.Filter{}).Matches(evs[0].Stream, evs[0].Type) {
		t.Fatalf("log %+v: want three events on a system stream no plain filter matches", evs)
	}
}
