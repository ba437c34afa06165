package app

import (
	"context"
	"fmt"
	"io"
	"time"

	"go.uber.org/zap"

	"carecoord/pkg/auth"
	"carecoord/pkg/demo"
	"carecoord/pkg/eventstore"
	"carecoord/services/gateway/internal/config"
	"carecoord/services/gateway/internal/shutdown"
)

// DemoSeed is the seed of the demo people: the same every time, so that a
// second seed finds the same patients and (through the commands' IDs) adds
// nothing.
const DemoSeed = 20261123

// Seed loads demo data into the data directory through the hosted services'
// real commands, waits for the reactions between services to settle, and
// stops. Seeding twice adds nothing.
func Seed(ctx context.Context, cfg config.Config, stdout io.Writer, logger *zap.Logger) (err error) {
	var hooks shutdown.Hooks
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
		defer cancel()
		if serr := hooks.Run(sctx, logger); serr != nil && err == nil {
			err = serr
		}
	}()
	rt, err := openRuntime(ctx, cfg, logger, &hooks)
	if err != nil {
		return err
	}
	ctx = auth.WithViewer(ctx, auth.SystemViewer("seed"))
	now := time.Now().UTC()
	people := demo.NewPeople(DemoSeed, rt.localities, now)
	for _, svc := range rt.services {
		start := time.Now()
		if err := svc.Seed(ctx, people, now); err != nil {
			return fmt.Errorf("seed %s: %w", svc.Name, err)
		}
		fmt.Fprintf(stdout, "seeded %s in %s\n", svc.Name, time.Since(start).Round(time.Millisecond))
	}
	// Reactions (an accepted referral opening a caseload episode) run on the
	// bus: wait until every consumer has handled the log.
	if err := rt.settle(ctx, 2*time.Minute); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "demo data loaded")
	return nil
}

// settle waits until every consumer has handled the log up to its head, and
// the head has stopped moving (reactions append events of their own).
func (rt *runtime) settle(ctx context.Context, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		last, err := rt.store.ReadAll(ctx, eventstore.End, eventstore.Backwards, 1)
		if err != nil {
			return err
		}
		head := eventstore.Start
		if len(last) > 0 {
			head = last[0].Position
		}
		if rt.bus.HandledUpTo(head) {
			again, err := rt.store.ReadAll(ctx, eventstore.End, eventstore.Backwards, 1)
			if err != nil {
				return err
			}
			if len(again) == 0 || again[0].Position == head {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("event handlers did not settle within %s", within)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
