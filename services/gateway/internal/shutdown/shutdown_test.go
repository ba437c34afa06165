package shutdown

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func TestHooks_run_in_reverse_and_continue_after_failures(t *testing.T) {
	var order []string
	step := func(name string, err error) func(context.Context) error {
		return func(context.Context) error { order = append(order, name); return err }
	}
	var h Hooks
	h.Add("eventstore", step("eventstore", nil))
	h.Add("event handlers", step("event handlers", errors.New("drain timed out")))
	h.Add("panicky", func(context.Context) error { order = append(order, "panicky"); panic("boom") })
	h.Add("http server", step("http server", nil))

	core, logs := observer.New(zap.InfoLevel)
	err := h.Run(context.Background(), zap.New(core))

	if want := []string{"http server", "panicky", "event handlers", "eventstore"}; !slices.Equal(order, want) {
		t.Errorf("order = %v, want %v", order, want)
	}
	if err == nil || !strings.Contains(err.Error(), "stop event handlers: drain timed out") || !strings.Contains(err.Error(), "stop panicky: panic: boom") {
		t.Errorf("Run error = %v, want both failures", err)
	}
	stopped := logs.FilterMessage("stopped").All()
	var names []string
	for _, e := range stopped {
		names = append(names, e.ContextMap()["component"].(string))
	}
	if want := []string{"http server", "eventstore"}; !slices.Equal(names, want) {
		t.Errorf("logged stopped for %v, want %v", names, want)
	}
	if n := logs.FilterMessage("stop failed").Len(); n != 2 {
		t.Errorf("logged %d failures, want 2", n)
	}

	order = nil
	if err := h.Run(context.Background(), zap.NewNop()); err != nil || len(order) != 0 {
		t.Errorf("second Run ran %v, err %v; want nothing", order, err)
	}
}

func TestHooks_pass_the_context(t *testing.T) {
	var h Hooks
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h.Add("waits", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	if err := h.Run(ctx, zap.NewNop()); !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
}
