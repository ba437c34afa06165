package projection_test

import (
	"context"
	"testing"
	"time"

	"carecoord/pkg/projection"
)

func TestProgress_WaitFor_returns_once_the_position_is_applied(t *testing.T) {
	var p projection.Progress
	done := make(chan error, 1)
	go func() { done <- p.WaitFor(context.Background(), 5) }()
	p.Advance(3)
	select {
	case <-done:
		t.Fatal("returned before position 5 was applied")
	case <-time.After(20 * time.Millisecond):
	}
	p.Advance(7)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	p.Advance(2) // a redelivery does not move it back
	if p.Position() != 7 {
		t.Fatalf("position %d", p.Position())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.WaitFor(ctx, 100); err == nil {
		t.Fatal("a cancelled wait returned nil")
	}
}
