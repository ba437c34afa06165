package checkpoint_test

import (
	"context"
	"testing"

	"carecoord/pkg/checkpoint"
	"carecoord/pkg/eventstore"
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
