// Package shutdown runs a process's stop steps in the reverse of the order
// in which its components started, so that each component stops while what it
// depends on is still there (HTTP stops before event handlers drain, which
// happens before the event store closes).
//
// It imports only zap and the standard library.
package shutdown

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Hook stops one component. Fn should return when ctx is done even if the
// component has not finished stopping.
type Hook struct {
	Name string
	Fn   func(ctx context.Context) error
}

// Hooks is a stack of stop steps. The zero value is ready to use; it is safe
// for concurrent use.
type Hooks struct {
	mu    sync.Mutex
	hooks []Hook
}

// Add registers a step, to run before every step added earlier. Add it right
// after the component has started, so that a failure later in start-up still
// stops it.
func (h *Hooks) Add(name string, fn func(ctx context.Context) error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.hooks = append(h.hooks, Hook{Name: name, Fn: fn})
}

// Run runs every step, last added first, logging each. A failed step does not
// stop later ones: the store must still be closed when draining failed. It
// returns the steps' errors joined. Steps run are removed, so a second Run
// does nothing.
func (h *Hooks) Run(ctx context.Context, logger *zap.Logger) error {
	h.mu.Lock()
	hooks := h.hooks
	h.hooks = nil
	h.mu.Unlock()

	var errs []error
	for i := len(hooks) - 1; i >= 0; i-- {
		hook := hooks[i]
		logger.Info("stopping", zap.String("component", hook.Name))
		start := time.Now()
		if err := runHook(ctx, hook); err != nil {
			logger.Error("stop failed", zap.String("component", hook.Name), zap.Duration("duration", time.Since(start)), zap.Error(err))
			errs = append(errs, fmt.Errorf("stop %s: %w", hook.Name, err))
			continue
		}
		logger.Info("stopped", zap.String("component", hook.Name), zap.Duration("duration", time.Since(start)))
	}
	return errors.Join(errs...)
}

// runHook turns a panicking step into an error, so that the steps after it
// (closing the store) still run.
func runHook(ctx context.Context, hook Hook) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return hook.Fn(ctx)
}
